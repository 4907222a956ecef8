namespace Timebox.Output;

/// <summary>Reads captured bytes where they lie (spill file, memory chunks, tail) as one stream, without a contiguous copy.</summary>
internal sealed class CaptureReadStream(CaptureContent content) : Stream
{
    private long _position;
    private int _chunk;
    private int _offset;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length { get; } = content.Length;
    public override long Position { get => _position; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty) return 0;
        int n;
        if (_position < content.FileLength)
        {
            var wanted = (int)Math.Min(buffer.Length, content.FileLength - _position);
            n = RandomAccess.Read(content.File!, buffer[..wanted], _position);
            if (n == 0) throw new IOException("The spill file of this capture is shorter than what was written to it.");
        }
        else
        {
            var source = NextMemory();
            n = Math.Min(source.Length, buffer.Length);
            source[..n].CopyTo(buffer);
            _offset += n;
        }
        _position += n;
        return n;
    }

    private ReadOnlySpan<byte> NextMemory()
    {
        while (_chunk < content.Chunks.Count && _offset == content.Chunks[_chunk].Length)
        {
            _chunk++;
            _offset = 0;
        }
        return _chunk < content.Chunks.Count ? content.Chunks[_chunk].AsSpan(_offset) : content.Tail.AsSpan(_offset);
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
