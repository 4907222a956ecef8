using System.Diagnostics;

namespace Timebox.Platform.Unix;

/// <summary>
/// The macOS <see cref="EventLoop"/>: one kqueue for pipes (EVFILT_READ) and process exits (EVFILT_PROC with
/// NOTE_EXIT, by pid, since macOS has no pidfds), woken through an EVFILT_USER event. The kqueue needs no close-on-exec:
/// macOS never passes a kqueue on to a child.
/// </summary>
internal sealed unsafe class KqueueEventLoop : EventLoop
{
    // struct kevent on 64-bit macOS: ident (8), filter (2), flags (2), fflags (4), data (8), udata (8).
    private const int KeventSize = 32, FilterOffset = 8, FlagsOffset = 10, FilterFlagsOffset = 12, DataOffset = 16;
    private const int MaxEvents = 64;
    // User events have an identifier space of their own, apart from descriptors and pids.
    private const nuint WakeIdent = 0;
    private static readonly TimeSpan ExitPollInterval = TimeSpan.FromMilliseconds(1);

    // -1 until opened, so that a constructor that fails leaves nothing for the finalizer to close that is not its own.
    private readonly int _kqueue = -1;
    private readonly Dictionary<int, Action<uint>> _readers = [];
    private readonly Dictionary<int, (ChildProcess Child, Action OnExit)> _exits = [];
    private readonly byte[] _events = new byte[KeventSize * MaxEvents];

    /// <exception cref="IOException">The kqueue cannot be created (no descriptor left); nothing stays open.</exception>
    public KqueueEventLoop()
    {
        _kqueue = Libc.kqueue();
        if (_kqueue < 0) throw Libc.Failure("creating the event loop's kqueue");
        // EV_CLEAR: the wait that reports a trigger also resets it, so posts between two waits make one wake-up.
        if (Change(WakeIdent, Libc.EVFILT_USER, Libc.EV_ADD | Libc.EV_CLEAR, 0) < 0)
        {
            var failure = Libc.Failure("kevent(EVFILT_USER)");
            Close();
            throw failure;
        }
    }

    // A calling thread's loop goes when its thread does (see EventLoop.ForCallingThread), and its kqueue with it.
    ~KqueueEventLoop()
    {
        if (_kqueue >= 0) Libc.close(_kqueue);
    }

    protected override void Close()
    {
        if (_kqueue >= 0) Libc.close(_kqueue);
        GC.SuppressFinalize(this);
    }

    public override void Watch(int fd, Action<uint> handler)
    {
        Debug.Assert(IsLoopThread);
        _readers[fd] = handler;
        if (Change((nuint)fd, Libc.EVFILT_READ, Libc.EV_ADD, 0) < 0)
            throw Libc.Failure($"kevent(EVFILT_READ, fd {fd})");
    }

    public override void Unwatch(int fd)
    {
        Debug.Assert(IsLoopThread);
        if (_readers.Remove(fd) && Change((nuint)fd, Libc.EVFILT_READ, Libc.EV_DELETE, 0) < 0)
            throw Libc.Failure($"kevent(EV_DELETE, fd {fd})");
    }

    /// <remarks>
    /// NOTE_EXITSTATUS delivers the wait status with the event (XNU grants it to the parent). XNU refuses a new watch
    /// with ESRCH once the process is marked as exiting, and waits for references taken before that (a watch being set
    /// up holds one) before it posts NOTE_EXIT: an exit is either reported or refused, never lost in between. A refused
    /// child may still be finishing its exit (closing files can take long), so rather than block every run on it, it is
    /// looked at again until it is a zombie.
    /// </remarks>
    public override void WatchExit(ChildProcess child, Action onExit)
    {
        Debug.Assert(IsLoopThread);
        _exits[child.Pid] = (child, onExit);
        if (Change((nuint)child.Pid, Libc.EVFILT_PROC, Libc.EV_ADD, Libc.NOTE_EXIT | Libc.NOTE_EXITSTATUS) == 0) return;
        var error = Libc.Errno;
        if (error != Libc.ESRCH)
        {
            _exits.Remove(child.Pid);
            throw Libc.Failure($"kevent(EVFILT_PROC, pid {child.Pid})", error);
        }
        AwaitZombie(child.Pid);
    }

    public override void UnwatchExit(ChildProcess child)
    {
        Debug.Assert(IsLoopThread);
        // Fails harmlessly when the watch was refused; a reported exit has already removed the entry.
        if (_exits.Remove(child.Pid)) Change((nuint)child.Pid, Libc.EVFILT_PROC, Libc.EV_DELETE, 0);
    }

    protected override void Wake() => Change(WakeIdent, Libc.EVFILT_USER, 0, Libc.NOTE_TRIGGER);

    protected override void WaitAndDispatch(long timeoutNs)
    {
        var timeout = stackalloc long[2];
        timeout[0] = timeoutNs / 1_000_000_000;
        timeout[1] = timeoutNs % 1_000_000_000;
        fixed (byte* events = _events)
        {
            var count = Libc.kevent(_kqueue, null, 0, events, MaxEvents, timeoutNs < 0 ? null : timeout);
            for (var i = 0; i < count; i++)
            {
                var entry = events + (i * KeventSize);
                var ident = (int)*(nuint*)entry;
                var filter = *(short*)(entry + FilterOffset);
                if (filter == Libc.EVFILT_READ && _readers.TryGetValue(ident, out var handler))
                {
                    uint flags = *(ushort*)(entry + FlagsOffset);
                    Guard(handler, flags);
                }
                else if (filter == Libc.EVFILT_PROC && (*(uint*)(entry + FilterFlagsOffset) & Libc.NOTE_EXIT) != 0
                    && _exits.Remove(ident, out var exit))
                {
                    // The watch ended with this event (XNU makes NOTE_EXIT one-shot).
                    if ((*(uint*)(entry + FilterFlagsOffset) & Libc.NOTE_EXITSTATUS) != 0) exit.Child.ReportExit((int)*(long*)(entry + DataOffset));
                    Guard(exit.OnExit);
                }
                // EVFILT_USER is only the wake-up: what was posted runs after this batch.
            }
        }
    }

    // Rare (the child ended before its watch was set up) and short, since the child is already on its way out.
    private void AwaitZombie(int pid)
    {
        if (!_exits.TryGetValue(pid, out var exit)) return;
        if (!exit.Child.HasExited)
        {
            Schedule(ExitPollInterval, () => AwaitZombie(pid));
            return;
        }
        _exits.Remove(pid);
        exit.OnExit();
    }

    private int Change(nuint ident, short filter, ushort flags, uint filterFlags)
    {
        var change = stackalloc byte[KeventSize];
        new Span<byte>(change, KeventSize).Clear();
        *(nuint*)change = ident;
        *(short*)(change + FilterOffset) = filter;
        *(ushort*)(change + FlagsOffset) = flags;
        *(uint*)(change + FilterFlagsOffset) = filterFlags;
        // With no room for events, kevent applies the change and returns at once, reporting a failure through errno.
        return Libc.kevent(_kqueue, change, 1, null, 0, null);
    }
}
