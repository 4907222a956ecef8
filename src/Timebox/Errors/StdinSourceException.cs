namespace Timebox;

/// <summary>The file given as standard input cannot be opened for reading.</summary>
public sealed class StdinSourceException(Command command, string path, Exception inner)
    : CommandStartException(command, $"Cannot read stdin file '{path}': {inner.Message}", inner)
{
    /// <summary>The file that could not be read.</summary>
    public string Path { get; } = path;
}
