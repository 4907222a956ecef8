using Timebox.Output;

namespace Timebox.Platform.Unix;

/// <summary>
/// Reads one non-blocking output pipe on the event loop and hands every read to its <see cref="OutputConsumers"/>: the
/// capture (read straight into its free space), the consumers' queues and the idle clock. The counterpart of the Windows
/// <c>OverlappedPipeReader</c>. Only the loop thread touches it.
/// </summary>
internal sealed unsafe class NonBlockingPipeReader(int fd, OutputConsumers consumers) : IOutputReader
{
    // Bounded per event so one busy pipe cannot starve the other runs sharing the loop.
    private const int MaxBytesPerEvent = 4 << 20;
    // A pipe holds 64 KiB by default: taking that much in one event means its writer keeps it full.
    private const int DefaultPipeBytes = 64 << 10;

    private bool _growTried, _grown;

    /// <summary>The host's read end of the pipe (non-blocking, owned since construction); -1 once closed.</summary>
    public int Fd { get; private set; } = fd;

    public OutputConsumers Consumers => consumers;

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
            var span = consumers.NextBuffer().Span;
            nint n;
            fixed (byte* p = span) n = Libc.read(Fd, p, span.Length);
            if (n > 0)
            {
                if (consumers.Accept((int)n)) Paused = true;
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
