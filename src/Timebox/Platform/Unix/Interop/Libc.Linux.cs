using System.Runtime.InteropServices;

namespace Timebox.Platform.Unix;

/// <summary>The Linux system calls and constants Timebox needs where macOS has others or none (epoll, eventfd, pidfds, pipe2).</summary>
internal static unsafe partial class Libc
{
    // Linux's values of the constants macOS numbers otherwise: Libc.cs picks them.
    private static class Linux
    {
        public const int EAGAIN = 11, O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000, WNOWAIT = 0x01000000;
    }

    public const int ENOSYS = 38;
    public const int P_PIDFD = 3;

    public const int EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2, EPOLL_CTL_MOD = 3;
    public const uint EPOLLIN = 0x1, EPOLLHUP = 0x10;
    public const int EFD_CLOEXEC = 0x80000, EFD_NONBLOCK = 0x800;

    private const long SYS_pidfd_send_signal = 424, SYS_pidfd_open = 434, SYS_epoll_pwait2 = 441;

    [LibraryImport(Lib, SetLastError = true)] public static partial int pipe2(int* fds, int flags);
    [LibraryImport(Lib, SetLastError = true)] private static partial long syscall(long number, long a, long b, long c, long d);
    [LibraryImport(Lib, EntryPoint = "syscall", SetLastError = true)] private static partial long Syscall6(long number, long a, long b, long c, long d, long e, long f);

    [LibraryImport(Lib, SetLastError = true)] public static partial int epoll_create1(int flags);
    [LibraryImport(Lib, SetLastError = true)] public static partial int epoll_ctl(int epfd, int op, int fd, byte* ev);
    [LibraryImport(Lib, SetLastError = true)] public static partial int epoll_wait(int epfd, byte* events, int maxEvents, int timeoutMs);
    [LibraryImport(Lib, SetLastError = true)] public static partial int eventfd(uint initval, int flags);

    public static int PidfdOpen(int pid) => (int)syscall(SYS_pidfd_open, pid, 0, 0, 0);

    /// <summary>epoll_pwait2 with no signal mask: a timeout in nanoseconds (null: no limit). By number, as glibc before 2.35 lacks it; ENOSYS before Linux 5.11.</summary>
    public static int EpollPwait2(int epfd, byte* events, int maxEvents, long* timeout) =>
        (int)Syscall6(SYS_epoll_pwait2, epfd, (long)events, maxEvents, (long)timeout, 0, 0);

    public static int PidfdSendSignal(int pidfd, int signal) => (int)syscall(SYS_pidfd_send_signal, pidfd, signal, 0, 0);
}
