using System.Text;
using Timebox.Output;

namespace Timebox;

/// <summary>
/// Bytes captured from one output stream, decoded on demand. Held in memory chunks (never one giant string) or,
/// past the command's spill threshold, in an unnamed temporary file that disappears when this is disposed (or when
/// the host ends). On timeout or cancellation it holds everything the program wrote before it was killed; past a
/// capture limit it holds the head and the tail, and <see cref="DroppedBytes"/> says how much of the middle is gone.
/// </summary>
public sealed class CapturedOutput : IDisposable
{
    private readonly CaptureContent _content;
    private readonly Encoding _encoding;
    private string? _text;

    internal CapturedOutput(CaptureContent content, Encoding encoding)
    {
        _content = content;
        _encoding = encoding;
        Length = content.Length;
    }

    internal static CapturedOutput None(Encoding encoding) => new(CaptureContent.Empty, encoding);

    /// <summary>The number of bytes held: everything written, or head plus tail when a limit dropped the middle.</summary>
    public long Length { get; }

    /// <summary>The number of bytes the program wrote to the stream, kept or not.</summary>
    public long TotalBytes => _content.TotalBytes;

    /// <summary>The bytes dropped between head and tail by a capture limit (<see cref="OutputTarget.CaptureWithLimit"/>); 0 when nothing was dropped.</summary>
    public long DroppedBytes => TotalBytes - Length;

    /// <summary>True when a capture limit dropped bytes.</summary>
    public bool IsTruncated => DroppedBytes > 0;

    /// <summary>The number of bytes kept from the start of the stream (the head); the rest of <see cref="Length"/> is the tail.</summary>
    public long HeadLength => IsTruncated ? Length - _content.Tail.Length : Length;

    /// <summary>True when the output moved to a temporary file (see <see cref="Command.WithSpill"/>); reading it works the same.</summary>
    public bool IsSpilled => _content.File is not null;

    /// <summary>
    /// The output decoded as text (the command's encoding, UTF-8 by default). A multi-byte character split
    /// across reads is decoded whole; invalid bytes become U+FFFD and never throw. Computed once, then cached.
    /// For a truncated capture: the head's text followed directly by the tail's.
    /// </summary>
    public string Text => _text ??= Decode();

    /// <summary>A copy of the held bytes as one array. Throws <see cref="InvalidOperationException"/> past 2 GiB; use <see cref="OpenRead"/> then.</summary>
    public byte[] ToArray()
    {
        if (Length > Array.MaxLength) throw new InvalidOperationException($"{Length} bytes do not fit in one array; read them with OpenRead().");
        var result = new byte[Length];
        using var stream = OpenRead();
        stream.ReadExactly(result);
        return result;
    }

    /// <summary>A read-only stream over the held bytes (head then tail), without copying them. Several can be open at once.</summary>
    public Stream OpenRead()
    {
        ObjectDisposedException.ThrowIf(_content.File is { IsClosed: true }, this);
        return new CaptureReadStream(_content);
    }

    /// <summary>Same as <see cref="Text"/>.</summary>
    public override string ToString() => Text;

    /// <summary>Deletes the spill file, if any (it is unnamed, so nothing is left on disk either way). Memory captures need no disposal.</summary>
    public void Dispose() => _content.File?.Dispose();

    private string Decode()
    {
        if (Length == 0) return string.Empty;
        if (Length > Array.MaxLength) throw new InvalidOperationException($"{Length} bytes are too many to decode into one string; read them with OpenRead().");
        if (_content is { File: null, Chunks.Count: 1, Tail.Length: 0 }) return _encoding.GetString(_content.Chunks[0]);
        var decoder = _encoding.GetDecoder();
        var builder = new StringBuilder((int)Length);
        var bytes = new byte[1 << 16];
        var chars = new char[_encoding.GetMaxCharCount(bytes.Length)];
        using var stream = OpenRead();
        int read;
        do
        {
            read = stream.Read(bytes);
            var count = decoder.GetChars(bytes, 0, read, chars, 0, flush: read == 0);
            builder.Append(chars, 0, count);
        }
        while (read > 0);
        return builder.ToString();
    }
}
