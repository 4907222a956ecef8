namespace Timebox;

/// <summary>Which of the program's output streams a line or chunk came from.</summary>
public enum OutputSource
{
    /// <summary>Standard output (also standard error when it is merged into standard output).</summary>
    Stdout,

    /// <summary>Standard error.</summary>
    Stderr,
}
