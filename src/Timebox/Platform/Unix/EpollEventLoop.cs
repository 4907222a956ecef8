using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Timebox.Platform.Unix;

/// <summary>The Linux <see cref="EventLoop"/>: one epoll set for pipes and pidfds, woken through an eventfd.</summary>
internal sealed unsafe class EpollEventLoop : EventLoop
{
    // epoll_event is packed (12 bytes) on x86-64 and naturally aligned (16 bytes) elsewhere.
    private static readonly int EventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;
    private static readonly int DataOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 4 : 8;
    private const int MaxEvents = 64;

    private readonly int _epoll;
    private readonly int _wakeFd;
    private readonly Dictionary<int, Action<uint>> _handlers = [];
    private readonly byte[] _events = new byte[EventSize * MaxEvents];

    public EpollEventLoop()
    {
        _epoll = Libc.epoll_create1(Libc.O_CLOEXEC);
        if (_epoll < 0) throw new InvalidOperationException($"epoll_create1 failed: errno {Libc.Errno}");
        _wakeFd = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        if (_wakeFd < 0) throw new InvalidOperationException($"eventfd failed: errno {Libc.Errno}");
        Control(Libc.EPOLL_CTL_ADD, _wakeFd, Libc.EPOLLIN);
    }

    public override void Watch(int fd, Action<uint> handler)
    {
        Debug.Assert(IsLoopThread);
        _handlers[fd] = handler;
        Control(Libc.EPOLL_CTL_ADD, fd, Libc.EPOLLIN);
    }

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

    protected override void WaitAndDispatch(int timeoutMs)
    {
        fixed (byte* events = _events)
        {
            var count = Libc.epoll_wait(_epoll, events, MaxEvents, timeoutMs);
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
                    var flags = *(uint*)entry;
                    Guard(() => handler(flags));
                }
            }
        }
    }

    private void Control(int op, int fd, uint events)
    {
        var ev = stackalloc byte[16];
        *(uint*)ev = events;
        *(long*)(ev + DataOffset) = fd;
        if (Libc.epoll_ctl(_epoll, op, fd, ev) < 0)
            throw new InvalidOperationException($"epoll_ctl({op}, fd {fd}) failed: errno {Libc.Errno}");
    }
}
