namespace Timebox.Output;

/// <summary>The caller's read end of a <see cref="OutputTarget.Pipe"/> stream: reads what the event loop queued, in order, until the pipe ends.</summary>
internal sealed class QueueReadStream(ConsumerClaim claim) : Stream
{
    private ReadOnlyMemory<byte> _current;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty) return 0;
        if (_current.IsEmpty)
        {
            claim.Take(ConsumerClaim.Kind.Stream);
            if (await claim.Queue.TakeAsync(cancellationToken).ConfigureAwait(false) is not { } chunk) return 0;
            _current = chunk.Bytes;
        }
        var n = Math.Min(buffer.Length, _current.Length);
        _current.Span[..n].CopyTo(buffer.Span);
        _current = _current[n..];
        return n;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) claim.Close();
        base.Dispose(disposing);
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
