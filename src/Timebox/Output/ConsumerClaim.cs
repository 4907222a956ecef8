namespace Timebox.Output;

/// <summary>
/// A <see cref="OutputTarget.Pipe"/> queue has one consumer: either its stream or the line/chunk enumeration. Mixing
/// them would hand each half the bytes, so the second kind to read gets an <see cref="InvalidOperationException"/>.
/// </summary>
internal sealed class ConsumerClaim(ChunkQueue queue, OutputSource source, Action streamClosed)
{
    public enum Kind { None, Stream, Enumeration }

    private int _kind;

    public ChunkQueue Queue => queue;

    public OutputSource Source => source;

    /// <summary>The enumeration stopped early: the rest of the output is read and dropped, so the program never blocks on it.</summary>
    public void Release() => queue.Abandon();

    /// <summary>The caller closed the stream: like closing a pipe's read end, a program that writes on gets SIGPIPE (unless the stream is also captured or copied).</summary>
    public void Close()
    {
        queue.Abandon();
        streamClosed();
    }

    public void Take(Kind kind)
    {
        var previous = (Kind)Interlocked.CompareExchange(ref _kind, (int)kind, (int)Kind.None);
        if (previous != Kind.None && previous != kind)
            throw new InvalidOperationException($"{source} is already being read through {(previous == Kind.Stream ? "its stream" : "ReadLinesAsync/ReadChunksAsync")}; a piped stream has one reader.");
    }
}
