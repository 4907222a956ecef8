using System.Text;

namespace Timebox;

/// <summary>
/// Bytes captured from one output stream, held in chunks (never one giant string) and decoded on demand.
/// On timeout or cancellation it holds everything the program wrote before it was killed.
/// </summary>
public sealed class CapturedOutput
{
    private readonly List<byte[]> _chunks;
    private readonly Encoding _encoding;
    private string? _text;

    internal CapturedOutput(List<byte[]> chunks, long length, Encoding encoding)
    {
        _chunks = chunks;
        Length = length;
        _encoding = encoding;
    }

    internal static CapturedOutput None(Encoding encoding) => new([], 0, encoding);

    /// <summary>The number of bytes captured.</summary>
    public long Length { get; }

    /// <summary>
    /// The output decoded as text (the command's encoding, UTF-8 by default). A multi-byte character split
    /// across reads is decoded whole; invalid bytes become U+FFFD and never throw. Computed once, then cached.
    /// </summary>
    public string Text => _text ??= Decode();

    /// <summary>A copy of the captured bytes as one array. Throws <see cref="InvalidOperationException"/> past 2 GiB; use <see cref="OpenRead"/> then.</summary>
    public byte[] ToArray()
    {
        if (Length > Array.MaxLength) throw new InvalidOperationException($"{Length} bytes do not fit in one array; read them with OpenRead().");
        var result = new byte[Length];
        var offset = 0;
        foreach (var chunk in _chunks)
        {
            chunk.CopyTo(result, offset);
            offset += chunk.Length;
        }
        return result;
    }

    /// <summary>A read-only stream over the captured bytes, without copying them.</summary>
    public Stream OpenRead() => new ChunkStream(_chunks, Length);

    /// <summary>Same as <see cref="Text"/>.</summary>
    public override string ToString() => Text;

    private string Decode()
    {
        if (Length == 0) return string.Empty;
        if (_chunks.Count == 1) return _encoding.GetString(_chunks[0]);
        var decoder = _encoding.GetDecoder();
        var builder = new StringBuilder(checked((int)Math.Min(Length, Array.MaxLength)));
        var buffer = new char[_encoding.GetMaxCharCount(_chunks.Max(c => c.Length))];
        for (var i = 0; i < _chunks.Count; i++)
        {
            var count = decoder.GetChars(_chunks[i], 0, _chunks[i].Length, buffer, 0, flush: i == _chunks.Count - 1);
            builder.Append(buffer, 0, count);
        }
        return builder.ToString();
    }
}
