using System.Runtime.InteropServices;
using Timebox.Platform.Unix;

namespace Timebox.Output;

/// <summary>
/// Reads one non-blocking output pipe on the event loop and hands every read to its <see cref="OutputConsumers"/>: the
/// capture (read straight into its free space), the consumers' queues and the idle clock. Only the loop thread touches it.
/// </summary>
internal sealed unsafe class OutputPump(int fd, OutputConsumers consumers)
{
    // Bounded per event so one busy pipe cannot starve the other runs sharing the loop.
    private const int MaxBytesPerEvent = 4 << 20;
    private const int ReadSize = 1 << 16;
    // A pipe holds 64 KiB by default: taking that much in one event means its writer keeps it full.
    private const int DefaultPipeBytes = 64 << 10;

    private byte[]? _scratch;
    private bool _growTried, _grown;

    public int Fd { get; private set; } = fd;

    public CaptureBuffer? Capture => consumers.Capture;

    public IReadOnlyList<ChunkQueue> Queues => consumers.Queues;

    public bool Ended => Fd < 0;

    /// <summary>True while a consumer's queue is full: the run stops watching the pipe until it drains.</summary>
    public bool Paused { get; set; }

    /// <summary>
    /// Reads what is available; returns true at end-of-file. Stops early when a queue fills, and after a read that did not
    /// fill its buffer (the pipe is empty: the next readiness event tells more, end-of-file included, without a read that
    /// would only say so), unless <paramref name="ignorePause"/>, which reads until the pipe is empty or ends.
    /// </summary>
    public bool ReadAvailable(bool ignorePause = false)
    {
        var budget = MaxBytesPerEvent;
        while (budget > 0 && (ignorePause || !Paused))
        {
            var capture = consumers.Capture;
            var span = capture is not null ? capture.GetSpan() : (_scratch ??= GC.AllocateUninitializedArray<byte>(ReadSize));
            nint n;
            fixed (byte* p = span) n = Libc.read(Fd, p, span.Length);
            if (n > 0)
            {
                if (consumers.Deliver(span[..(int)n], ref _scratch)) Paused = true;
                capture?.Advance((int)n);
                budget -= (int)n;
                if (!_growTried && MaxBytesPerEvent - budget >= DefaultPipeBytes)
                {
                    _growTried = true;
                    _grown = PipeCapacity.TryGrow(Fd);
                }
                if (n < span.Length && !ignorePause) return false;
                continue;
            }
            if (n == 0) return true;
            var errno = Libc.Errno;
            if (errno == Libc.EINTR) continue;
            if (errno == Libc.EAGAIN) return false;
            throw Libc.Failure($"reading the {consumers.Source} pipe", errno);
        }
        return false;
    }

    /// <summary>Closes the pipe (after the run unwatched it) and tells the consumers no more will come.</summary>
    public void Close()
    {
        if (Fd < 0) return;
        Libc.close(Fd);
        Fd = -1;
        if (_grown) PipeCapacity.Release();
        consumers.Complete();
    }
}
