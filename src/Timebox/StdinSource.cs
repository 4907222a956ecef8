using System.Text;

namespace Timebox;

/// <summary>Where a command's standard input comes from. Immutable.</summary>
public sealed class StdinSource
{
    internal enum SourceKind { Empty, Inherit, Bytes, Stream, File, Pipe }

    internal SourceKind Kind { get; }
    internal ReadOnlyMemory<byte> Bytes { get; }
    internal Stream? Stream { get; }
    internal string? FilePath { get; }

    private StdinSource(SourceKind kind, ReadOnlyMemory<byte> bytes = default, Stream? stream = null, string? filePath = null)
    {
        Kind = kind;
        Bytes = bytes;
        Stream = stream;
        FilePath = filePath;
    }

    /// <summary>An empty standard input (<c>/dev/null</c>): the program reads end-of-file at once. The default.</summary>
    public static StdinSource Empty { get; } = new(SourceKind.Empty);

    /// <summary>The host process's own standard input, passed through untouched.</summary>
    public static StdinSource Inherit { get; } = new(SourceKind.Inherit);

    /// <summary>
    /// A pipe the caller writes to through <see cref="RunningProcess.StandardInput"/> and closes when done.
    /// Only meaningful with <see cref="Command.Start"/>; a plain run closes it at once.
    /// </summary>
    public static StdinSource Pipe { get; } = new(SourceKind.Pipe);

    /// <summary>The given text, encoded (UTF-8 without BOM unless an encoding is given), then end-of-file.</summary>
    public static StdinSource FromString(string text, Encoding? encoding = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        return new(SourceKind.Bytes, (encoding ?? new UTF8Encoding(false)).GetBytes(text));
    }

    /// <summary>The given bytes, then end-of-file.</summary>
    public static StdinSource FromBytes(ReadOnlyMemory<byte> bytes) => new(SourceKind.Bytes, bytes);

    /// <summary>
    /// The rest of the given stream, copied asynchronously while the program runs, then end-of-file.
    /// The stream is not disposed. If the program stops reading early, the copy stops quietly.
    /// </summary>
    public static StdinSource FromStream(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanRead) throw new ArgumentException("The stdin stream is not readable.", nameof(stream));
        return new(SourceKind.Stream, stream: stream);
    }

    /// <summary>
    /// A file, handed to the program as its standard input directly (no copy through the host).
    /// A file that cannot be opened makes the run fail before anything starts with <see cref="StdinSourceException"/>.
    /// </summary>
    public static StdinSource FromFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return new(SourceKind.File, filePath: path);
    }
}
