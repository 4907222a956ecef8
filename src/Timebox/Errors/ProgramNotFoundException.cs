namespace Timebox;

/// <summary>The program does not exist: not at the given path, or in no directory of the search path.</summary>
public sealed class ProgramNotFoundException(Command command, string program, IReadOnlyList<string> searchPath)
    : CommandStartException(command, searchPath.Count == 0
        ? $"Program '{program}' not found"
        : $"Program '{program}' not found in PATH ({string.Join(Path.PathSeparator, searchPath)})")
{
    /// <summary>The program as the command named it.</summary>
    public string Program { get; } = program;

    /// <summary>The directories searched, in order (empty when the program was given as a path).</summary>
    public IReadOnlyList<string> SearchPath { get; } = searchPath;
}
