using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;
using Timebox.Output;

namespace Timebox.Platform.Windows;

/// <summary>
/// One output pipe read by the host, the Windows counterpart of the Unix <c>NonBlockingPipeReader</c>: every read (an
/// overlapped read, completed on the thread pool) goes to its <see cref="OutputConsumers"/>: the capture (read straight
/// into its free space), the consumers' queues (a copy per read, stamped with the run's arrival order) and the idle clock.
/// Everything but the read itself runs under the run's lock, so the run sees the same single-threaded picture as the Unix
/// event loop.
/// </summary>
[SupportedOSPlatform("windows")]
internal sealed unsafe class OverlappedPipeReader : IOutputReader
{
    // Bounded so that a writer that keeps writing cannot hold the run's lock while it is being closed.
    private const int MaxDrainBytes = 4 << 20;

    private readonly FileStream _pipe;
    private readonly SafeFileHandle _handle;
    private readonly CancellationTokenSource _stop = new();
    private TaskCompletionSource? _resumed;

    /// <summary>Reads the host's end of the pipe (owned from now on) into <paramref name="consumers"/>.</summary>
    public OverlappedPipeReader((FileStream Stream, SafeFileHandle Handle) pipe, OutputConsumers consumers)
    {
        (_pipe, _handle) = pipe;
        Consumers = consumers;
    }

    public OutputConsumers Consumers { get; }

    /// <summary>True while a consumer's queue is full: no read is issued until it drains.</summary>
    public bool Paused { get; set; }

    /// <summary>True once the run asked the reading to stop.</summary>
    public bool Stopping { get; private set; }

    /// <summary>True once the reading has ended (end of file, stopped, or failed) and the consumers were told.</summary>
    public bool Ended { get; private set; }

    public CancellationToken StopToken => _stop.Token;

    public FileStream Pipe => _pipe;

    /// <summary>Hands <paramref name="count"/> bytes just read into the consumers' <see cref="OutputConsumers.NextBuffer"/> over to them.</summary>
    public void Accept(int count)
    {
        if (Consumers.Accept(count)) Paused = true;
    }

    /// <summary>While paused: a task that completes when reading may go on. Otherwise null.</summary>
    public Task? WaitWhilePaused()
    {
        if (!Paused) return null;
        _resumed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return _resumed.Task;
    }

    public void Resume()
    {
        Paused = false;
        _resumed?.TrySetResult();
    }

    /// <summary>Takes what the pipe already holds, whatever the consumers' room (the pipe is about to be closed). Only while no read is pending.</summary>
    public void DrainAvailable()
    {
        var budget = MaxDrainBytes;
        while (budget > 0)
        {
            uint available;
            if (!Kernel32.PeekNamedPipe(_handle, null, 0, null, &available, null) || available == 0) return;
            var buffer = Consumers.NextBuffer();
            var n = _pipe.Read(buffer.Span[..Math.Min(buffer.Length, (int)Math.Min(available, int.MaxValue))]);
            if (n <= 0) return;
            Accept(n);
            budget -= n;
        }
    }

    /// <summary>True while a writer still holds the pipe open (PeekNamedPipe fails with a broken pipe once they are all gone).</summary>
    public bool WriterStillOpen
    {
        get
        {
            uint available;
            return Kernel32.PeekNamedPipe(_handle, null, 0, null, &available, null);
        }
    }

    /// <summary>Asks the reading to stop: a pending read is canceled, a paused reader wakes up and ends.</summary>
    public void Stop()
    {
        if (Stopping) return;
        Stopping = true;
        _stop.Cancel();
        _resumed?.TrySetResult();
    }

    /// <summary>The reading is over: the pipe is closed, and the consumers get what was queued, then the end.</summary>
    public void End()
    {
        if (Ended) return;
        Ended = true;
        _pipe.Dispose();
        Consumers.Complete();
    }
}
