using System.Text;

namespace Timebox.Output;

/// <summary>
/// What one output stream read by the host feeds, whichever system reads the pipe: the capture, the consumers' queues
/// (the feeder of streams and callbacks, the caller's pipe) and the idle clock. Used by one reader at a time, which
/// reads into <see cref="NextBuffer"/> and hands each read over with <see cref="Accept"/>.
/// </summary>
internal sealed class OutputConsumers
{
    private const int ReadSize = 1 << 16;

    // Without a capture, reads land in a fresh buffer; one this full is handed to the consumers as it is, a smaller
    // read is copied out so that a queue of small writes does not pin a 64 KiB buffer per chunk.
    private const int HandOverSize = 1 << 14;

    private readonly IdleClock? _idleClock;
    private readonly Func<long> _nextSequence;
    private readonly LineSplitter? _progressLines;
    private readonly List<(string Text, LineEnding Ending)> _lines = [];
    private byte[]? _readBuffer;
    private Memory<byte> _lent;

    private OutputConsumers(OutputSource source, CaptureBuffer? capture, SinkFeeder? feeder, ConsumerClaim? claim, IReadOnlyList<ChunkQueue> queues,
        IdleClock? idleClock, Encoding encoding, Func<long> nextSequence)
    {
        Source = source;
        Capture = capture;
        Feeder = feeder;
        Claim = claim;
        Queues = queues;
        _idleClock = idleClock;
        _nextSequence = nextSequence;
        _progressLines = idleClock?.IsProgress is null ? null : new LineSplitter(encoding);
    }

    public OutputSource Source { get; }

    public CaptureBuffer? Capture { get; }

    public SinkFeeder? Feeder { get; }

    public ConsumerClaim? Claim { get; }

    public IReadOnlyList<ChunkQueue> Queues { get; }

    /// <summary>
    /// Builds what <paramref name="target"/> asks for; <paramref name="sinks"/> come from <see cref="OutputRoute.OpenSinks"/>,
    /// a capture spills into files of <paramref name="spillFiles"/>.
    /// </summary>
    public static OutputConsumers Create(Command command, OutputTarget target, OutputSource source, IReadOnlyList<IOutputSink> sinks,
        SpillFiles spillFiles, IdleClock? idleClock, Func<long> nextSequence, Action resume, Action<OutputSource> streamClosed)
    {
        var capture = target.CapturePart is { } part
            ? new CaptureBuffer(part.Limit, command.SpillThreshold, command.SpillDirectory ?? Path.GetTempPath(), spillFiles, source)
            : null;
        List<ChunkQueue> queues = [];
        SinkFeeder? feeder = null;
        if (sinks.Count > 0)
        {
            var queue = new ChunkQueue(resume);
            queues.Add(queue);
            feeder = new SinkFeeder(queue, sinks);
        }
        ConsumerClaim? claim = null;
        if (target.HasPipe)
        {
            var queue = new ChunkQueue(resume);
            queues.Add(queue);
            claim = new ConsumerClaim(queue, source, () => streamClosed(source));
        }
        return new OutputConsumers(source, capture, feeder, claim, queues, idleClock, command.Encoding, nextSequence);
    }

    /// <summary>Where the next read goes: the capture's free space, or without a capture a buffer of the reader's.</summary>
    public Memory<byte> NextBuffer() =>
        _lent = Capture is not null ? Capture.GetMemory() : (_readBuffer ??= GC.AllocateUninitializedArray<byte>(ReadSize));

    /// <summary>
    /// Hands the <paramref name="count"/> bytes just read into <see cref="NextBuffer"/> to the capture, the queues and the
    /// idle clock. Returns true when a queue is full and reading must pause.
    /// </summary>
    public bool Accept(int count)
    {
        var bytes = _lent.Span[..count];
        var full = Queues.Count > 0 && Enqueue(bytes);
        TouchIdleClock(bytes);
        Capture?.Advance(count);
        return full;
    }

    /// <summary>No more will come: the consumers get what was queued, then the end.</summary>
    public void Complete()
    {
        foreach (var queue in Queues) queue.Complete();
    }

    // The capture keeps the bytes read into it: the queues get a copy.
    private bool Enqueue(ReadOnlySpan<byte> bytes)
    {
        ReadOnlyMemory<byte> owned;
        if (Capture is null && bytes.Length >= HandOverSize)
        {
            owned = _lent[..bytes.Length];
            _readBuffer = null;
        }
        else
        {
            owned = bytes.ToArray();
        }
        var chunk = new OutputChunk(Source, owned, _nextSequence());
        var full = false;
        foreach (var queue in Queues)
            if (queue.Add(chunk)) full = true;
        return full;
    }

    private void TouchIdleClock(ReadOnlySpan<byte> bytes)
    {
        if (_idleClock is null) return;
        if (_progressLines is null)
        {
            _idleClock.Touch();
            return;
        }
        _progressLines.Push(bytes, _lines);
        foreach (var (text, _) in _lines)
            if (_idleClock.IsProgress!(text)) _idleClock.Touch();
        _lines.Clear();
    }
}
