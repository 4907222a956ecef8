namespace Timebox;

/// <summary>
/// The program does not exist: not at the given path, or in no directory of the search path. Or it exists but what it
/// needs to start does not: the interpreter its #! line names (<see cref="Interpreter"/>), or the dynamic loader it names.
/// </summary>
public sealed class ProgramNotFoundException : CommandStartException
{
    /// <summary>Creates the exception for a program found nowhere.</summary>
    public ProgramNotFoundException(Command command, string program, IReadOnlyList<string> searchPath)
        : base(command, searchPath.Count == 0
            ? $"Program '{program}' not found"
            : $"Program '{program}' not found in PATH ({string.Join(Path.PathSeparator, searchPath)})")
    {
        Program = program;
        SearchPath = searchPath;
    }

    // The program is there, exec said ENOENT all the same (reason: the system's words for it). Worded as bash words it.
    internal ProgramNotFoundException(Command command, string path, string? interpreter, string reason)
        : base(command, interpreter is null
            ? $"Program '{path}' cannot be run: {reason} (a file it needs to start, such as its dynamic loader, is missing)"
            : $"Program '{path}' cannot be run: {interpreter}: bad interpreter: {reason}")
    {
        Program = path;
        SearchPath = [];
        Interpreter = interpreter;
    }

    /// <summary>The program as the command named it (its resolved path when it exists but cannot start).</summary>
    public string Program { get; }

    /// <summary>The directories searched, in order (empty when the program was given as a path).</summary>
    public IReadOnlyList<string> SearchPath { get; }

    /// <summary>The missing interpreter that the script's #! line names; null when the program itself was not found.</summary>
    public string? Interpreter { get; }
}
