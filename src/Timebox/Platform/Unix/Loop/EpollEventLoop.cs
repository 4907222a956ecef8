using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Timebox.Platform.Unix;

/// <summary>The Linux <see cref="EventLoop"/>: one epoll set for pipes and pidfds, woken through an eventfd.</summary>
internal sealed unsafe class EpollEventLoop : EventLoop
{
    // epoll_event is packed (12 bytes) on x86-64 and naturally aligned (16 bytes) elsewhere.
    private static readonly int EventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;
    private static readonly int DataOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 4 : 8;
    // Many at once, so that the exits of a wave of runs terminated together reach one turn, and one termination batch.
    private const int MaxEvents = 1024;

    // -1 until opened: a constructor that fails part way must leave nothing for the finalizer to close that is not its
    // own (a 0 here once made it close the host's standard input).
    private readonly int _epoll = -1;
    private readonly int _wakeFd = -1;
    private readonly Dictionary<int, Action<uint>> _handlers = [];
    private readonly byte[] _events = new byte[EventSize * MaxEvents];
    private static bool _pwait2Missing;

    /// <exception cref="IOException">The epoll set or its eventfd cannot be created (no descriptor left); nothing stays open.</exception>
    public EpollEventLoop()
    {
        try
        {
            _epoll = Libc.epoll_create1(Libc.O_CLOEXEC);
            if (_epoll < 0) throw Libc.Failure("creating the event loop's epoll set");
            _wakeFd = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
            if (_wakeFd < 0) throw Libc.Failure("creating the event loop's eventfd");
            Control(Libc.EPOLL_CTL_ADD, _wakeFd, Libc.EPOLLIN);
        }
        catch
        {
            Close();
            throw;
        }
    }

    // A calling thread's loop goes when its thread does (see EventLoop.ForCallingThread): pool threads retire and others
    // replace them, and each that had run a blocking Run kept these two descriptors for good (20 threads: 40 descriptors).
    ~EpollEventLoop() => CloseDescriptors();

    protected override void Close()
    {
        CloseDescriptors();
        GC.SuppressFinalize(this);
    }

    private void CloseDescriptors()
    {
        if (_wakeFd >= 0) Libc.close(_wakeFd);
        if (_epoll >= 0) Libc.close(_epoll);
    }

    public override void Watch(int fd, Action<uint> handler) => Register(fd, handler, Libc.EPOLLIN);

    // epoll reports EPOLLHUP whatever events were asked for: with none, a pipe wakes the loop only once it has no writer.
    public override bool WatchHangUp(int fd, Action onHangUp)
    {
        Register(fd, _ =>
        {
            Unwatch(fd);
            onHangUp();
        }, events: 0);
        return true;
    }

    private void Register(int fd, Action<uint> handler, uint events)
    {
        Debug.Assert(IsLoopThread);
        var registered = _handlers.ContainsKey(fd);
        _handlers[fd] = handler;
        if (registered)
        {
            Control(Libc.EPOLL_CTL_MOD, fd, events);
            return;
        }
        if (TryControl(Libc.EPOLL_CTL_ADD, fd, events)) return;
        // Already in the set, without a handler, when PostWatching put it there from the thread that started the run.
        if (Libc.Errno != Libc.EEXIST) throw Libc.Failure($"epoll_ctl({Libc.EPOLL_CTL_ADD}, fd {fd})");
        Control(Libc.EPOLL_CTL_MOD, fd, events);
    }

    // epoll_ctl is safe from any thread, so the thread that started a run adds its pidfd and pipes to the set itself, and
    // the loop, asleep with nothing due, is not woken to do it: one wake-up less per run (see bench/NOTES.md). The first
    // event of one of them wakes it; having no handler yet, the event is passed over, the loop runs what was posted (the
    // step, which sets the handlers) and waits again, and the set, level-triggered, reports it once more at once. A
    // handler is only ever set after its descriptor was added, so an event fetched for a descriptor that a handler of the
    // same batch closes finds no handler, never the one of a new descriptor given the same number by another thread.
    public override void PostWatching(Action firstStep, ReadOnlySpan<int> fds)
    {
        Enqueue(firstStep);
        foreach (var fd in fds)
        {
            if (TryControl(Libc.EPOLL_CTL_ADD, fd, Libc.EPOLLIN)) continue;
            // The step's own Watch tries again on the loop thread, and a failure ends the run as it always has.
            Wake();
            return;
        }
    }

    // A pipe reports EPOLLIN while it holds data and EPOLLHUP once no writer is left: hang-up alone means end-of-file.
    public override bool IsEndOfStreamOnly(uint flags) => (flags & (Libc.EPOLLIN | Libc.EPOLLHUP)) == Libc.EPOLLHUP;

    public override void Unwatch(int fd)
    {
        Debug.Assert(IsLoopThread);
        if (_handlers.Remove(fd)) Control(Libc.EPOLL_CTL_DEL, fd, 0);
    }

    // A pidfd becomes readable when its process exits. Without one (someone else reaped the child before it could be
    // opened) the child has already ended.
    public override void WatchExit(ChildProcess child, Action onExit)
    {
        if (child.Pidfd >= 0) Watch(child.Pidfd, _ => onExit());
        else onExit();
    }

    public override void UnwatchExit(ChildProcess child) => Unwatch(child.Pidfd);

    protected override void Wake()
    {
        ulong one = 1;
        Libc.write(_wakeFd, (byte*)&one, sizeof(ulong));
    }

    protected override void WaitAndDispatch(long timeoutNs)
    {
        fixed (byte* events = _events)
        {
            var count = Wait(events, timeoutNs);
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
                    Guard(handler, *(uint*)entry);
                }
            }
        }
    }

    // epoll_pwait2 (Linux 5.11) takes the timeout in nanoseconds; epoll_wait's milliseconds, rounded up, would make every
    // deadline up to a millisecond late. Older kernels say ENOSYS; container seccomp profiles older than the call say EPERM.
    private int Wait(byte* events, long timeoutNs)
    {
        if (!_pwait2Missing)
        {
            var timeout = stackalloc long[2];
            timeout[0] = timeoutNs / 1_000_000_000;
            timeout[1] = timeoutNs % 1_000_000_000;
            var count = Libc.EpollPwait2(_epoll, events, MaxEvents, timeoutNs < 0 ? null : timeout);
            if (count >= 0 || Libc.Errno is not (Libc.ENOSYS or Libc.EPERM)) return count;
            _pwait2Missing = true;
        }
        var timeoutMs = timeoutNs < 0 ? -1 : (int)Math.Min(int.MaxValue, (timeoutNs + 999_999) / 1_000_000);
        return Libc.epoll_wait(_epoll, events, MaxEvents, timeoutMs);
    }

    private void Control(int op, int fd, uint events)
    {
        if (!TryControl(op, fd, events)) throw Libc.Failure($"epoll_ctl({op}, fd {fd})");
    }

    private bool TryControl(int op, int fd, uint events)
    {
        var ev = stackalloc byte[16];
        *(uint*)ev = events;
        *(long*)(ev + DataOffset) = fd;
        return Libc.epoll_ctl(_epoll, op, fd, ev) == 0;
    }
}
