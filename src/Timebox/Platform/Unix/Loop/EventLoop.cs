using System.Collections.Concurrent;
using System.Diagnostics;

namespace Timebox.Platform.Unix;

/// <summary>
/// The one thread that waits for every run: process exits, output pipes and deadlines, all through one kernel wait
/// (<see cref="EpollEventLoop"/> on Linux, <see cref="KqueueEventLoop"/> on macOS). Per-run state is touched only on this
/// thread, so runs need no locks; other threads hand it work with <see cref="Post"/>. This is why Timebox needs no
/// thread per process and never polls with sleeps.
/// </summary>
internal abstract class EventLoop
{
    private static readonly RetryingLazy<EventLoop> SharedLoop = new(() => Create(ownThread: true));

    private readonly ConcurrentQueue<Action> _posted = new();
    private readonly PriorityQueue<LoopTimer, long> _timers = new();
    private int _threadId;

    /// <summary>The loop every run of the library shares, on a thread of its own.</summary>
    /// <exception cref="IOException">It cannot be created now (no descriptor left): the next use tries again.</exception>
    public static EventLoop Shared => SharedLoop.Value;

    /// <summary>
    /// A loop that the calling thread drives itself with <see cref="RunUntil"/>: for a program with one thing to
    /// wait for (the timebox CLI), which then needs no second thread.
    /// </summary>
    /// <exception cref="IOException">It cannot be created (no descriptor left).</exception>
    public static EventLoop OnCurrentThread() => Create(ownThread: false);

    [ThreadStatic]
    private static EventLoop? t_callingThreadLoop;

    /// <summary>
    /// This thread's own loop, created on first use and kept for the thread's lifetime, for a blocking run that waits
    /// on the calling thread: no hand-off to the shared loop's thread and back, which on a busy machine costs a
    /// wake-up on each side. What is posted to it after its run ended is handled when the thread next drives it. Once the
    /// thread has ended and no run refers to the loop any more, the GC lets go of it and its finalizer closes its descriptors.
    /// </summary>
    public static EventLoop ForCallingThread() => t_callingThreadLoop ??= OnCurrentThread();

    public bool IsLoopThread => Environment.CurrentManagedThreadId == _threadId;

    /// <summary>What the runs of this loop asked to signal or kill during the current turn, carried out at its end.</summary>
    public TerminationBatch Terminations { get; } = new();

    private static EventLoop OfThisSystem() => OperatingSystem.IsMacOS() ? new KqueueEventLoop() : new EpollEventLoop();

    private static EventLoop Create(bool ownThread)
    {
        var loop = OfThisSystem();
        if (!ownThread)
        {
            loop._threadId = Environment.CurrentManagedThreadId;
            return loop;
        }
        try
        {
            new Thread(loop.Loop) { IsBackground = true, Name = "Timebox event loop" }.Start();
            return loop;
        }
        catch (OutOfMemoryException exception)
        {
            // The runtime reports any failure to start a thread as out of memory, a full descriptor table included.
            var shortage = Libc.DescriptorShortage();
            loop.Close();
            throw shortage == 0 ? new IOException($"starting the event loop thread failed: {exception.Message}", exception)
                : Libc.Failure("starting the event loop thread", shortage);
        }
    }

    /// <summary>Closes the loop's descriptors at once, for a loop that will never run (its thread could not start).</summary>
    protected abstract void Close();

    /// <summary>Runs <paramref name="action"/> on the loop thread soon. Safe from any thread.</summary>
    public void Post(Action action)
    {
        _posted.Enqueue(action);
        Wake();
    }

    /// <summary>
    /// Posts a run's first step, which watches <paramref name="fds"/> (<see cref="Watch"/>, <see cref="WatchExit"/>) and
    /// schedules no timer, without waking the loop where the kernel can tell it instead: the loop then runs the step when
    /// it next wakes, at the latest for the first event of one of <paramref name="fds"/>, and before any of their events
    /// reaches a handler. A step that schedules a timer needs the loop awake to count it down: <see cref="Post"/>. Safe from any thread.
    /// </summary>
    public virtual void PostWatching(Action firstStep, ReadOnlySpan<int> fds) => Post(firstStep);

    /// <summary><see cref="Post"/> without the wake, for a caller that makes sure the loop wakes soon enough.</summary>
    protected void Enqueue(Action action) => _posted.Enqueue(action);

    /// <summary>
    /// Watches <paramref name="fd"/> for readability (and hang-up); the handler gets the kernel's flags for the event,
    /// which differ between systems. Loop thread only.
    /// </summary>
    public abstract void Watch(int fd, Action<uint> handler);

    /// <summary>
    /// Watches a pipe that is no longer read (its consumer is behind) for its last writer going away, instead of for data:
    /// <paramref name="onHangUp"/> runs once no process holds the write end any more, whatever the pipe still holds.
    /// Replaces a <see cref="Watch"/> of the same descriptor. False where the system cannot tell that without reading
    /// (kqueue): then the caller unwatches the pipe. Loop thread only.
    /// </summary>
    public virtual bool WatchHangUp(int fd, Action onHangUp) => false;

    /// <summary>True when a watched pipe's event <paramref name="flags"/> say it has ended with nothing left to read, so no read is needed to learn it.</summary>
    public virtual bool IsEndOfStreamOnly(uint flags) => false;

    /// <summary>Stops watching <paramref name="fd"/>; call before closing it. Loop thread only.</summary>
    public abstract void Unwatch(int fd);

    /// <summary>
    /// Calls <paramref name="onExit"/> on the loop thread once <paramref name="child"/> has exited, before this returns
    /// if it already had. Loop thread only.
    /// </summary>
    public abstract void WatchExit(ChildProcess child, Action onExit);

    /// <summary>Stops watching the exit of <paramref name="child"/>. Loop thread only.</summary>
    public abstract void UnwatchExit(ChildProcess child);

    /// <summary>Calls <paramref name="action"/> on the loop thread once <paramref name="delay"/> has passed, unless canceled first. Loop thread only.</summary>
    public LoopTimer Schedule(TimeSpan delay, Action action)
    {
        Debug.Assert(IsLoopThread);
        // Saturate rather than overflow: a delay of TimeSpan.MaxValue means "never", not "at once".
        var now = Stopwatch.GetTimestamp();
        var ticks = Math.Max(0, delay.TotalSeconds * Stopwatch.Frequency);
        var due = ticks >= long.MaxValue - now ? long.MaxValue : now + (long)ticks;
        var timer = new LoopTimer(action);
        _timers.Enqueue(timer, due);
        return timer;
    }

    /// <summary>Makes the kernel wait in progress (or the next one) return. Safe from any thread.</summary>
    protected abstract void Wake();

    /// <summary>Waits up to <paramref name="timeoutNs"/> nanoseconds (-1: no limit) for kernel events and runs their handlers.</summary>
    protected abstract void WaitAndDispatch(long timeoutNs);

    private void Loop()
    {
        _threadId = Environment.CurrentManagedThreadId;
        RunUntil(static () => false);
    }

    /// <summary>Runs the loop on this thread (the one that created it, or the loop's own) until <paramref name="finished"/> says so after an event.</summary>
    public void RunUntil(Func<bool> finished)
    {
        Debug.Assert(IsLoopThread);
        while (!finished())
        {
            WaitAndDispatch(NextTimeoutNs());
            while (_posted.TryDequeue(out var action)) Guard(action);
            RunDueTimers();
            Terminations.Run();
        }
    }

    private long NextTimeoutNs()
    {
        while (_timers.TryPeek(out var timer, out var due))
        {
            if (timer.Canceled)
            {
                _timers.Dequeue();
                continue;
            }
            var remaining = due - Stopwatch.GetTimestamp();
            if (remaining <= 0) return 0;
            // Round up so a timer never fires early.
            return (long)Math.Min(long.MaxValue / 2, Math.Ceiling(remaining * 1e9 / Stopwatch.Frequency));
        }
        return -1;
    }

    private void RunDueTimers()
    {
        var now = Stopwatch.GetTimestamp();
        while (_timers.TryPeek(out var timer, out var due) && due <= now)
        {
            _timers.Dequeue();
            if (!timer.Canceled) Guard(timer.Fire);
        }
    }

    // A bug in one run's handler must not stop the loop every other run depends on; the run itself
    // reports the failure through its completion.
    internal static void Guard(Action action) => Guard(static action => action(), action);

    /// <summary><see cref="Guard(Action)"/> for a handler with an argument, without a closure per call.</summary>
    internal static void Guard<T>(Action<T> handler, T argument)
    {
        try
        {
            handler(argument);
        }
#pragma warning disable CA1031 // the loop thread must survive any handler failure
        catch (Exception exception)
#pragma warning restore CA1031
        {
            Trace.TraceError($"Timebox event loop handler failed: {exception}");
        }
    }
}
