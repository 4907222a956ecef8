using System.Text;
using Timebox.Platform.Unix;

namespace Timebox.Output;

/// <summary>
/// Reads one non-blocking output pipe on the event loop and hands every read to what the stream's target asks for:
/// the capture (read straight into its free space), the queues of consumers (a copy per read, stamped with the run's
/// arrival order) and the idle clock. Only the loop thread touches it.
/// </summary>
internal sealed unsafe class OutputPump(int fd, OutputSource source, CaptureBuffer? capture, IReadOnlyList<ChunkQueue> queues,
    IdleClock? idleClock, Encoding encoding, Func<long> nextSequence)
{
    // Bounded per event so one busy pipe cannot starve the other runs sharing the loop.
    private const int MaxBytesPerEvent = 4 << 20;

    // Without a capture, reads land in a fresh buffer; one this full is handed to the consumers as it is, a smaller
    // read is copied out so that a queue of small writes does not pin a 64 KiB buffer per chunk.
    private const int ReadSize = 1 << 16, HandOverSize = 1 << 14;

    private readonly LineSplitter? _progressLines = idleClock?.IsProgress is null ? null : new LineSplitter(encoding);
    private readonly List<(string Text, LineEnding Ending)> _lines = [];
    private byte[]? _scratch;

    public int Fd { get; private set; } = fd;

    public OutputSource Source => source;

    public CaptureBuffer? Capture => capture;

    public IReadOnlyList<ChunkQueue> Queues => queues;

    public bool Ended => Fd < 0;

    /// <summary>True while a consumer's queue is full: the run stops watching the pipe until it drains.</summary>
    public bool Paused { get; set; }

    /// <summary>Reads what is available; returns true at end-of-file. Stops early when a queue fills, unless <paramref name="ignorePause"/>.</summary>
    public bool ReadAvailable(bool ignorePause = false)
    {
        var budget = MaxBytesPerEvent;
        while (budget > 0 && (ignorePause || !Paused))
        {
            var span = capture is not null ? capture.GetSpan() : (_scratch ??= GC.AllocateUninitializedArray<byte>(ReadSize));
            nint n;
            fixed (byte* p = span) n = Libc.read(Fd, p, span.Length);
            if (n > 0)
            {
                Deliver(span[..(int)n]);
                capture?.Advance((int)n);
                budget -= (int)n;
                continue;
            }
            if (n == 0) return true;
            var errno = Libc.Errno;
            if (errno == Libc.EINTR) continue;
            if (errno == Libc.EAGAIN) return false;
            throw new IOException($"read from the {source} pipe failed: errno {errno}");
        }
        return false;
    }

    /// <summary>Closes the pipe (after the run unwatched it) and tells the consumers no more will come.</summary>
    public void Close()
    {
        if (Fd < 0) return;
        Libc.close(Fd);
        Fd = -1;
        foreach (var queue in queues) queue.Complete();
    }

    private void Deliver(ReadOnlySpan<byte> bytes)
    {
        if (queues.Count > 0)
        {
            ReadOnlyMemory<byte> owned;
            if (capture is null && bytes.Length >= HandOverSize)
            {
                owned = _scratch.AsMemory(0, bytes.Length);
                _scratch = null;
            }
            else
            {
                owned = bytes.ToArray();
            }
            var chunk = new OutputChunk(source, owned, nextSequence());
            foreach (var queue in queues)
                if (queue.Add(chunk)) Paused = true;
        }
        if (idleClock is null) return;
        if (_progressLines is null)
        {
            idleClock.Touch();
            return;
        }
        _progressLines.Push(bytes, _lines);
        foreach (var (text, _) in _lines)
            if (idleClock.IsProgress!(text)) idleClock.Touch();
        _lines.Clear();
    }
}
