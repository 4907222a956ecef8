using System.Threading.Channels;

namespace Timebox.Output;

/// <summary>
/// Chunks on their way from the event loop (the only writer) to one consumer: the caller reading a
/// <see cref="OutputTarget.Pipe"/>, or the task feeding streams and callbacks. Bounded by bytes through
/// back-pressure rather than by dropping: past <see cref="HighWater"/> the loop stops reading the pipes that feed it
/// (so the program blocks in write, as with any pipe), and the consumer asks for reading to resume once it has
/// taken the queue down to <see cref="LowWater"/>.
/// </summary>
internal sealed class ChunkQueue(Action resume)
{
    public const int HighWater = 1 << 20, LowWater = 1 << 18;

    // What a chunk costs beyond its bytes (array header, queue slot): a program writing one byte per write must not
    // fit a million chunks under the high-water mark.
    private const int ChunkOverhead = 64;

    private readonly Channel<OutputChunk> _channel = Channel.CreateUnbounded<OutputChunk>(new UnboundedChannelOptions { SingleWriter = true });
    private long _queued;
    private int _full;
    private volatile bool _abandoned;

    /// <summary>Queues a chunk (loop thread). Returns true when the queue is full and its producers must pause.</summary>
    public bool Add(OutputChunk chunk)
    {
        if (_abandoned) return false;
        _channel.Writer.TryWrite(chunk);
        if (Interlocked.Add(ref _queued, Cost(chunk)) < HighWater) return false;
        Interlocked.Exchange(ref _full, 1);
        // The consumer may have emptied the queue between the add and the flag; then it saw no flag and will not
        // resume anyone, so do not pause.
        return !(Interlocked.Read(ref _queued) <= LowWater && Interlocked.Exchange(ref _full, 0) == 1);
    }

    /// <summary>The consumer is gone: what is queued and whatever comes later is dropped, and paused producers resume.</summary>
    public void Abandon()
    {
        _abandoned = true;
        while (TryTake(out _))
        {
        }
        if (Interlocked.Exchange(ref _full, 0) == 1) resume();
    }

    /// <summary>True while the producers must stay paused.</summary>
    public bool IsFull => Volatile.Read(ref _full) == 1;

    /// <summary>No more chunks will come; the consumer still gets those queued.</summary>
    public void Complete() => _channel.Writer.TryComplete();

    /// <summary>True once the queue ended and every chunk was taken.</summary>
    public bool IsFinished => _channel.Reader.Completion.IsCompleted;

    public bool TryTake(out OutputChunk chunk)
    {
        if (!_channel.Reader.TryRead(out chunk)) return false;
        if (Interlocked.Add(ref _queued, -Cost(chunk)) <= LowWater && Interlocked.Exchange(ref _full, 0) == 1) resume();
        return true;
    }

    private static long Cost(OutputChunk chunk) => chunk.Bytes.Length + ChunkOverhead;

    /// <summary>Waits until a chunk can be taken (true) or the queue has ended (false).</summary>
    public ValueTask<bool> WaitAsync(CancellationToken cancellationToken) => _channel.Reader.WaitToReadAsync(cancellationToken);

    /// <summary>The next chunk, or null at the end.</summary>
    public async ValueTask<OutputChunk?> TakeAsync(CancellationToken cancellationToken)
    {
        while (await WaitAsync(cancellationToken).ConfigureAwait(false))
            if (TryTake(out var chunk)) return chunk;
        return null;
    }
}
