using System.Runtime.Versioning;

namespace Timebox.Platform.Windows;

/// <summary>What CreateProcess is given beyond the handles: the environment block, the program file found, the command line.</summary>
[SupportedOSPlatform("windows")]
internal readonly record struct WindowsProgram(string EnvironmentBlock, string Application, string CommandLine)
{
    /// <summary>The command's environment, then its program as that environment's PATH and PATHEXT find it, and its command line.</summary>
    public static WindowsProgram Locate(Command command, string? workingDirectory)
    {
        var environment = WindowsEnvironment.Block(command, out var pathVariable, out var pathExtVariable);
        var program = ProgramSearch.Resolve(command, pathVariable, pathExtVariable, workingDirectory ?? Environment.CurrentDirectory);
        var (application, commandLine) = WindowsCommandLine.For(command, program);
        return new(environment, application, commandLine);
    }
}
