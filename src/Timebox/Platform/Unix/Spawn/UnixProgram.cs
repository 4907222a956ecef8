namespace Timebox.Platform.Unix;

/// <summary>The child's environment and the program file found in its PATH: what the Unix start locates before the spawn.</summary>
internal readonly record struct UnixProgram(EnvironmentBlock Environment, string Path)
{
    /// <summary>The command's environment, then its program as execvp would find it there.</summary>
    public static UnixProgram Locate(Command command, string? workingDirectory)
    {
        var environment = EnvironmentBlock.For(command);
        return new(environment, ProgramResolver.Resolve(command, environment.SearchPath, workingDirectory));
    }
}
