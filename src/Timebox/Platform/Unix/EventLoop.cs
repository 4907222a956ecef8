using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Timebox.Platform.Unix;

/// <summary>
/// The one thread that waits for every run: process exits (pidfds), output pipes and deadlines, all through
/// one epoll set. Per-run state is touched only on this thread, so runs need no locks; other threads hand it
/// work with <see cref="Post"/>. This is why Timebox needs no thread per process and never polls with sleeps.
/// </summary>
internal sealed unsafe class EventLoop
{
    private static readonly Lazy<EventLoop> SharedLoop = new(() => new EventLoop(ownThread: true));

    // epoll_event is packed (12 bytes) on x86-64 and naturally aligned (16 bytes) elsewhere.
    private static readonly int EventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;
    private static readonly int DataOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 4 : 8;
    private const int MaxEvents = 64;

    private readonly int _epoll;
    private readonly int _wakeFd;
    private readonly ConcurrentQueue<Action> _posted = new();
    private readonly Dictionary<int, Action<uint>> _handlers = [];
    private readonly PriorityQueue<LoopTimer, long> _timers = new();

    private EventLoop(bool ownThread)
    {
        _epoll = Libc.epoll_create1(Libc.O_CLOEXEC);
        if (_epoll < 0) throw new InvalidOperationException($"epoll_create1 failed: errno {Libc.Errno}");
        _wakeFd = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        if (_wakeFd < 0) throw new InvalidOperationException($"eventfd failed: errno {Libc.Errno}");
        Control(Libc.EPOLL_CTL_ADD, _wakeFd, Libc.EPOLLIN);
        if (ownThread) new Thread(Loop) { IsBackground = true, Name = "Timebox event loop" }.Start();
        else _threadId = Environment.CurrentManagedThreadId;
    }

    /// <summary>The loop every run of the library shares, on a thread of its own.</summary>
    public static EventLoop Shared => SharedLoop.Value;

    /// <summary>
    /// A loop that the calling thread drives itself with <see cref="RunUntil"/>: for a program with one thing to
    /// wait for (the timebox CLI), which then needs no second thread.
    /// </summary>
    public static EventLoop OnCurrentThread() => new(ownThread: false);

    public bool IsLoopThread => Environment.CurrentManagedThreadId == _threadId;

    private int _threadId;

    /// <summary>Runs <paramref name="action"/> on the loop thread soon. Safe from any thread.</summary>
    public void Post(Action action)
    {
        _posted.Enqueue(action);
        ulong one = 1;
        Libc.write(_wakeFd, (byte*)&one, sizeof(ulong));
    }

    /// <summary>Watches <paramref name="fd"/> for readability (and hang-up). Loop thread only.</summary>
    public void Watch(int fd, Action<uint> handler)
    {
        Debug.Assert(IsLoopThread);
        _handlers[fd] = handler;
        Control(Libc.EPOLL_CTL_ADD, fd, Libc.EPOLLIN);
    }

    /// <summary>Stops watching <paramref name="fd"/>; call before closing it. Loop thread only.</summary>
    public void Unwatch(int fd)
    {
        Debug.Assert(IsLoopThread);
        if (_handlers.Remove(fd)) Control(Libc.EPOLL_CTL_DEL, fd, 0);
    }

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

    private void Control(int op, int fd, uint events)
    {
        var ev = stackalloc byte[16];
        *(uint*)ev = events;
        *(long*)(ev + DataOffset) = fd;
        if (Libc.epoll_ctl(_epoll, op, fd, ev) < 0)
            throw new InvalidOperationException($"epoll_ctl({op}, fd {fd}) failed: errno {Libc.Errno}");
    }

    private void Loop()
    {
        _threadId = Environment.CurrentManagedThreadId;
        RunUntil(static () => false);
    }

    /// <summary>Runs the loop on this thread (the one that created it, or the loop's own) until <paramref name="finished"/> says so after an event.</summary>
    public void RunUntil(Func<bool> finished)
    {
        Debug.Assert(IsLoopThread);
        var events = stackalloc byte[EventSize * MaxEvents];
        while (!finished())
        {
            var count = Libc.epoll_wait(_epoll, events, MaxEvents, NextTimeoutMs());
            for (var i = 0; i < count; i++)
            {
                var entry = events + (i * EventSize);
                var fd = (int)*(long*)(entry + DataOffset);
                if (fd == _wakeFd)
                {
                    ulong drained;
                    Libc.read(_wakeFd, (byte*)&drained, sizeof(ulong));
                }
                else if (_handlers.TryGetValue(fd, out var handler))
                {
                    Guard(() => handler(*(uint*)entry));
                }
            }
            while (_posted.TryDequeue(out var action)) Guard(action);
            RunDueTimers();
        }
    }

    private int NextTimeoutMs()
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
            // Round up so a timer never fires early; epoll's granularity is one millisecond.
            return (int)Math.Min(int.MaxValue, Math.Ceiling(remaining * 1000.0 / Stopwatch.Frequency));
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
    private static void Guard(Action action)
    {
        try
        {
            action();
        }
#pragma warning disable CA1031 // the loop thread must survive any handler failure
        catch (Exception exception)
#pragma warning restore CA1031
        {
            Trace.TraceError($"Timebox event loop handler failed: {exception}");
        }
    }
}
