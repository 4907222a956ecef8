using System.Text;

namespace Timebox.Output;

/// <summary>
/// What one output stream read by the host feeds, whichever platform reads the pipe: the capture, the consumers' queues
/// (the feeder of streams and callbacks, the caller's pipe) and the idle clock. Used by one reader at a time.
/// </summary>
internal sealed class OutputConsumers
{
    // Without a capture, reads land in a fresh buffer; one this full is handed to the consumers as it is, a smaller
    // read is copied out so that a queue of small writes does not pin a 64 KiB buffer per chunk.
    private const int HandOverSize = 1 << 14;

    private readonly IdleClock? _idleClock;
    private readonly Func<long> _nextSequence;
    private readonly LineSplitter? _progressLines;
    private readonly List<(string Text, LineEnding Ending)> _lines = [];

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

    /// <summary>Builds what <paramref name="target"/> asks for; <paramref name="sinks"/> come from <see cref="OutputRoute.OpenSinks"/>.</summary>
    public static OutputConsumers Create(Command command, OutputTarget target, OutputSource source, IReadOnlyList<IOutputSink> sinks,
        IdleClock? idleClock, Func<long> nextSequence, Action resume, Action<OutputSource> streamClosed)
    {
        var capture = target.CapturePart is { } part
            ? new CaptureBuffer(part.Limit, command.SpillThreshold, command.SpillDirectory ?? Path.GetTempPath(), source)
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

    /// <summary>
    /// Hands bytes just read to the queues and the idle clock; the capture has them already (they were read into it).
    /// Without a capture they were read into <paramref name="readBuffer"/>: a full enough one is handed over whole (and the
    /// reference cleared, so the reader takes a fresh one). Returns true when a queue is full and reading must pause.
    /// </summary>
    public bool Deliver(ReadOnlySpan<byte> bytes, ref byte[]? readBuffer)
    {
        var full = false;
        if (Queues.Count > 0)
        {
            ReadOnlyMemory<byte> owned;
            if (Capture is null && readBuffer is not null && bytes.Length >= HandOverSize)
            {
                owned = readBuffer.AsMemory(0, bytes.Length);
                readBuffer = null;
            }
            else
            {
                owned = bytes.ToArray();
            }
            var chunk = new OutputChunk(Source, owned, _nextSequence());
            foreach (var queue in Queues)
                if (queue.Add(chunk)) full = true;
        }
        TouchIdleClock(bytes);
        return full;
    }

    /// <summary>No more will come: the consumers get what was queued, then the end.</summary>
    public void Complete()
    {
        foreach (var queue in Queues) queue.Complete();
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
