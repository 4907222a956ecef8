namespace Timebox;

/// <summary>The program exists but cannot be executed: no execute permission, a directory, or not an executable format.</summary>
public sealed class ProgramNotExecutableException(Command command, string path, string reason)
    : CommandStartException(command, $"Program '{path}' cannot be executed: {reason}")
{
    /// <summary>The resolved path of the program.</summary>
    public string Path { get; } = path;

    /// <summary>The kernel refused the file's format (ENOEXEC): execvp, and so the timebox CLI, would run it with /bin/sh.</summary>
    internal bool IsExecFormatError { get; init; }
}
