namespace Timebox;

/// <summary>Reads a list of byte chunks as one stream, so huge captures never need one contiguous copy.</summary>
internal sealed class ChunkStream(List<byte[]> chunks, long length) : Stream
{
    private int _chunk;
    private int _offset;
    private long _position;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => length;
    public override long Position { get => _position; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        while (_chunk < chunks.Count && _offset == chunks[_chunk].Length)
        {
            _chunk++;
            _offset = 0;
        }
        if (_chunk == chunks.Count) return 0;
        var available = chunks[_chunk].AsSpan(_offset);
        var n = Math.Min(available.Length, buffer.Length);
        available[..n].CopyTo(buffer);
        _offset += n;
        _position += n;
        return n;
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
