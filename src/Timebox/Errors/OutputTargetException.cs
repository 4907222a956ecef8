namespace Timebox;

/// <summary>The file given as an output target cannot be opened for writing.</summary>
public sealed class OutputTargetException(Command command, string path, Exception inner)
    : CommandStartException(command, $"Cannot write output file '{path}': {inner.Message}", inner)
{
    /// <summary>The file that could not be opened.</summary>
    public string Path { get; } = path;
}
