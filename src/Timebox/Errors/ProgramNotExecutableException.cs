namespace Timebox;

/// <summary>The program exists but cannot be executed: no execute permission, a directory, or not an executable format.</summary>
public sealed class ProgramNotExecutableException(Command command, string path, string reason)
    : CommandStartException(command, $"Program '{path}' cannot be executed: {reason}")
{
    /// <summary>The resolved path of the program.</summary>
    public string Path { get; } = path;
}
