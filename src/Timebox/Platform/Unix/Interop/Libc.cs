using System.Runtime.InteropServices;

namespace Timebox.Platform.Unix;

/// <summary>
/// The libc and Linux system calls Timebox needs (the macOS-only ones are in Libc.Darwin.cs). Pointers and ints only, so
/// no marshalling happens. errno is read through SetLastError, which the runtime takes from errno on each system
/// (__errno_location, __error), so nothing here names either.
/// </summary>
internal static unsafe partial class Libc
{
    private const string Lib = "libc";

    // The values both systems share are constants; where macOS numbers differently, the value is chosen once for the
    // system this runs on, so that Linux keeps its own numbers exactly.
    public const int EPERM = 1, EINTR = 4, ESRCH = 3, ENOSYS = 38, ENOENT = 2, EACCES = 13, ENOEXEC = 8, ECHILD = 10, ENOTDIR = 20, EBADF = 9;
    public const int ENOMEM = 12, EEXIST = 17, ENFILE = 23, EMFILE = 24;
    public static readonly int EAGAIN = OperatingSystem.IsMacOS() ? 35 : 11;
    public static readonly int O_NONBLOCK = OperatingSystem.IsMacOS() ? 0x4 : 0x800;
    public static readonly int O_CLOEXEC = OperatingSystem.IsMacOS() ? 0x1000000 : 0x80000;
    public const int F_GETFD = 1, F_SETFD = 2, F_GETFL = 3, F_SETFL = 4, FD_CLOEXEC = 1;
    public const int F_OK = 0, X_OK = 1;

    public const short POSIX_SPAWN_SETPGROUP = 0x02, POSIX_SPAWN_SETSIGDEF = 0x04, POSIX_SPAWN_SETSIGMASK = 0x08;

    public const int P_PID = 1, P_PIDFD = 3;
    public const int WEXITED = 4, WNOHANG = 1;
    public static readonly int WNOWAIT = OperatingSystem.IsMacOS() ? 0x20 : 0x01000000;
    public const int CLD_EXITED = 1, CLD_KILLED = 2, CLD_DUMPED = 3;

    public const short POLLIN = 0x1;

    public const int EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2, EPOLL_CTL_MOD = 3;
    public const uint EPOLLIN = 0x1, EPOLLHUP = 0x10;
    public const int EFD_CLOEXEC = 0x80000, EFD_NONBLOCK = 0x800;

    private const long SYS_pidfd_send_signal = 424, SYS_pidfd_open = 434, SYS_epoll_pwait2 = 441;

    [LibraryImport(Lib, SetLastError = true)] public static partial int posix_spawn(int* pid, byte* path, void* fileActions, void* attr, byte** argv, byte** envp);
    [LibraryImport(Lib)] public static partial int posix_spawnattr_init(void* attr);
    [LibraryImport(Lib)] public static partial int posix_spawnattr_destroy(void* attr);
    [LibraryImport(Lib)] public static partial int posix_spawnattr_setflags(void* attr, short flags);
    [LibraryImport(Lib)] public static partial int posix_spawnattr_setpgroup(void* attr, int pgroup);
    [LibraryImport(Lib)] public static partial int posix_spawnattr_setsigdefault(void* attr, void* sigset);
    [LibraryImport(Lib)] public static partial int posix_spawnattr_setsigmask(void* attr, void* sigset);
    [LibraryImport(Lib)] public static partial int posix_spawn_file_actions_init(void* actions);
    [LibraryImport(Lib)] public static partial int posix_spawn_file_actions_destroy(void* actions);
    [LibraryImport(Lib)] public static partial int posix_spawn_file_actions_adddup2(void* actions, int fd, int newFd);
    [LibraryImport(Lib)] public static partial int posix_spawn_file_actions_addchdir_np(void* actions, byte* path);
    [LibraryImport(Lib)] public static partial int posix_spawn_file_actions_addclosefrom_np(void* actions, int lowFd);
    [LibraryImport(Lib)] public static partial int posix_spawn_file_actions_addclose(void* actions, int fd);
    [LibraryImport(Lib)] public static partial int sigemptyset(void* set);
    [LibraryImport(Lib)] public static partial int sigfillset(void* set);

    [LibraryImport(Lib, SetLastError = true)] public static partial int pipe2(int* fds, int flags);
    [LibraryImport(Lib, SetLastError = true)] public static partial int close(int fd);
    [LibraryImport(Lib, SetLastError = true)] public static partial int open(byte* path, int flags);
    [LibraryImport(Lib, EntryPoint = "open", SetLastError = true)] public static partial int open(byte* path, int flags, int mode);
    [LibraryImport(Lib, SetLastError = true)] public static partial nint read(int fd, byte* buffer, nint count);
    [LibraryImport(Lib, SetLastError = true)] public static partial nint pread(int fd, byte* buffer, nint count, long offset);
    [LibraryImport(Lib, SetLastError = true)] public static partial nint pwrite(int fd, byte* buffer, nint count, long offset);
    [LibraryImport(Lib, SetLastError = true)] public static partial int poll(PollFd* fds, nuint count, int timeoutMs);
    [LibraryImport(Lib, EntryPoint = "fcntl", SetLastError = true)] private static partial int FcntlRegisters(int fd, int command, int argument);
    [LibraryImport(Lib, EntryPoint = "fcntl", SetLastError = true)] private static partial int FcntlAppleArm64(int fd, int command, nint x2, nint x3, nint x4, nint x5, nint x6, nint x7, nint argument);
    [LibraryImport(Lib, SetLastError = true)] public static partial int access(byte* path, int mode);
    [LibraryImport(Lib, SetLastError = true)] public static partial byte* getcwd(byte* buffer, nuint size);
    [LibraryImport(Lib)] public static partial byte* getenv(byte* name);
    [LibraryImport(Lib, EntryPoint = "kill", SetLastError = true)] private static partial int KillNative(int pid, int signal);
    [LibraryImport(Lib)] public static partial int getpgrp();
    [LibraryImport(Lib, SetLastError = true)] public static partial int waitid(int idType, int id, byte* info, int options);
    [LibraryImport(Lib, SetLastError = true)] public static partial int ioctl(int fd, ulong request, void* argument);
    [LibraryImport(Lib, SetLastError = true)] private static partial long syscall(long number, long a, long b, long c, long d);
    [LibraryImport(Lib, EntryPoint = "syscall", SetLastError = true)] private static partial long Syscall6(long number, long a, long b, long c, long d, long e, long f);

    [LibraryImport(Lib, SetLastError = true)] public static partial int epoll_create1(int flags);
    [LibraryImport(Lib, SetLastError = true)] public static partial int epoll_ctl(int epfd, int op, int fd, byte* ev);
    [LibraryImport(Lib, SetLastError = true)] public static partial int epoll_wait(int epfd, byte* events, int maxEvents, int timeoutMs);
    [LibraryImport(Lib, SetLastError = true)] public static partial int eventfd(uint initval, int flags);
    [LibraryImport(Lib, SetLastError = true)] public static partial nint write(int fd, byte* buffer, nint count);

    public static int PidfdOpen(int pid) => (int)syscall(SYS_pidfd_open, pid, 0, 0, 0);

    /// <summary>epoll_pwait2 with no signal mask: a timeout in nanoseconds (null: no limit). By number, as glibc before 2.35 lacks it; ENOSYS before Linux 5.11.</summary>
    public static int EpollPwait2(int epfd, byte* events, int maxEvents, long* timeout) =>
        (int)Syscall6(SYS_epoll_pwait2, epfd, (long)events, maxEvents, (long)timeout, 0, 0);

    public static int PidfdSendSignal(int pidfd, int signal) => (int)syscall(SYS_pidfd_send_signal, pidfd, signal, 0, 0);

    public static int Errno => Marshal.GetLastPInvokeError();

    /// <summary>The system's words for <paramref name="errno"/> (strerror), such as "Too many open files".</summary>
    public static string ErrorText(int errno) => Marshal.GetPInvokeErrorMessage(errno);

    /// <summary>
    /// The failure of the call just made, in the system's words: "<paramref name="action"/> failed: Too many open files".
    /// Its HResult is the errno, as in the IOExceptions of .NET's own file calls on Unix.
    /// </summary>
    public static IOException Failure(string action) => Failure(action, Errno);

    /// <inheritdoc cref="Failure(string)"/>
    public static IOException Failure(string action, int errno) => new($"{action} failed: {ErrorText(errno)}", errno);

    public const int E2BIG = 7;

    /// <summary>True when <paramref name="exception"/> (from .NET's own file calls, or <see cref="Failure(string)"/>) says the process or the system is out of descriptors.</summary>
    public static bool IsDescriptorShortage(IOException exception) => exception.HResult is EMFILE or ENFILE;

    /// <summary>
    /// Why this process cannot make a pipe now (EMFILE, ENFILE, ...), or 0 when it can: names the cause that a failure
    /// reported otherwise hides. The runtime gives each new thread a pipe, and reports a thread that could not have one
    /// as out of memory.
    /// </summary>
    public static int DescriptorShortage()
    {
        var fds = stackalloc int[2];
        if (CloexecPipe(fds) != 0) return Errno;
        close(fds[0]);
        close(fds[1]);
        return 0;
    }

    /// <summary>True for the errors that mean this process ran out of descriptors or kernel memory, not that the target is gone.</summary>
    public static bool IsResourceShortage(int errno) => errno is EMFILE or ENFILE or ENOMEM;

    /// <summary>kill(2) with <paramref name="signal"/> in Timebox's (Linux) numbering, translated where the system numbers it otherwise.</summary>
    public static int kill(int pid, int signal) => KillNative(pid, NativeSignals.ToNative(signal));

    /// <remarks>
    /// fcntl is variadic, and Apple's arm64 ABI passes variadic arguments on the stack where a plain P/Invoke puts them
    /// in a register: there the argument goes after eight register-sized placeholders (dotnet/runtime#48796).
    /// </remarks>
    public static int fcntl(int fd, int command, int argument) =>
        OperatingSystem.IsMacOS() && RuntimeInformation.ProcessArchitecture == Architecture.Arm64
            ? FcntlAppleArm64(fd, command, 0, 0, 0, 0, 0, 0, argument)
            : FcntlRegisters(fd, command, argument);

    /// <summary>
    /// A pipe whose two ends close on exec. macOS has no pipe2, so there the flag is set just after pipe(): a process
    /// forked elsewhere in the host in between inherits the ends. Timebox's own children do not (POSIX_SPAWN_CLOEXEC_DEFAULT).
    /// </summary>
    public static int CloexecPipe(int* fds)
    {
        if (!OperatingSystem.IsMacOS()) return pipe2(fds, O_CLOEXEC);
        if (pipe(fds) != 0) return -1;
        fcntl(fds[0], F_SETFD, FD_CLOEXEC);
        fcntl(fds[1], F_SETFD, FD_CLOEXEC);
        return 0;
    }
}
