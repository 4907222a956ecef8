namespace Timebox;

/// <summary>A file given as an output target cannot be opened for writing, or the spill directory takes no file; nothing ran.</summary>
public sealed class OutputTargetException : CommandStartException
{
    /// <summary>Creates the exception for an output file that cannot be opened.</summary>
    public OutputTargetException(Command command, string path, Exception inner)
        : this(command, path, $"Cannot write output file '{path}': {inner.Message}", inner)
    {
    }

    internal OutputTargetException(Command command, string path, string message, Exception? inner)
        : base(command, message, inner) => Path = path;

    /// <summary>The file (or spill directory) that could not be used.</summary>
    public string Path { get; }
}
