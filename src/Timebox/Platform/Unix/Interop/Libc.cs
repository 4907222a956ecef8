using System.Runtime.InteropServices;

namespace Timebox.Platform.Unix;

/// <summary>
/// The libc calls Timebox needs on both systems (the Linux-only ones are in Libc.Linux.cs, the macOS-only ones in
/// Libc.Darwin.cs). Pointers and ints only, so
/// no marshalling happens. errno is read through SetLastError, which the runtime takes from errno on each system
/// (__errno_location, __error), so nothing here names either.
/// </summary>
internal static unsafe partial class Libc
{
    private const string Lib = "libc";

    public const int EPERM = 1, EINTR = 4, ESRCH = 3, ENOENT = 2, EACCES = 13, ENOEXEC = 8, ECHILD = 10, ENOTDIR = 20, EBADF = 9;
    public const int ENOMEM = 12, EEXIST = 17, ENFILE = 23, EMFILE = 24;

    // Where macOS numbers a constant otherwise, each system's value is a const of Libc.Linux.cs or Libc.Darwin.cs and a
    // property picks the one for the system this runs on: the library is one assembly for both, so no single const can
    // be right, and OperatingSystem.IsMacOS() is a constant to the JIT and to NativeAOT, so each use compiles to a number.
    public static int EAGAIN => OperatingSystem.IsMacOS() ? Darwin.EAGAIN : Linux.EAGAIN;
    public static int O_NONBLOCK => OperatingSystem.IsMacOS() ? Darwin.O_NONBLOCK : Linux.O_NONBLOCK;
    public static int O_CLOEXEC => OperatingSystem.IsMacOS() ? Darwin.O_CLOEXEC : Linux.O_CLOEXEC;
    public static int WNOWAIT => OperatingSystem.IsMacOS() ? Darwin.WNOWAIT : Linux.WNOWAIT;

    public const int F_GETFD = 1, F_SETFD = 2, F_GETFL = 3, F_SETFL = 4, FD_CLOEXEC = 1;
    public const int F_OK = 0, X_OK = 1;

    public const short POSIX_SPAWN_SETPGROUP = 0x02, POSIX_SPAWN_SETSIGDEF = 0x04, POSIX_SPAWN_SETSIGMASK = 0x08;

    public const int P_PID = 1;
    public const int WEXITED = 4, WNOHANG = 1;
    public const int CLD_EXITED = 1, CLD_KILLED = 2, CLD_DUMPED = 3;

    public const short POLLIN = 0x1;

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

    [LibraryImport(Lib, SetLastError = true)] public static partial int close(int fd);
    [LibraryImport(Lib, SetLastError = true)] public static partial int open(byte* path, int flags);
    [LibraryImport(Lib, EntryPoint = "open", SetLastError = true)] public static partial int open(byte* path, int flags, int mode);
    [LibraryImport(Lib, SetLastError = true)] public static partial nint read(int fd, byte* buffer, nint count);
    [LibraryImport(Lib, SetLastError = true)] public static partial nint pread(int fd, byte* buffer, nint count, long offset);
    [LibraryImport(Lib, SetLastError = true)] public static partial nint pwrite(int fd, byte* buffer, nint count, long offset);
    [LibraryImport(Lib, SetLastError = true)] public static partial int poll(PollFd* fds, nuint count, int timeoutMs);
    [LibraryImport(Lib, EntryPoint = "fcntl", SetLastError = true)] private static partial int FcntlRegisters(int fd, int command, int argument);
    [LibraryImport(Lib, SetLastError = true)] public static partial int access(byte* path, int mode);
    [LibraryImport(Lib, SetLastError = true)] public static partial byte* getcwd(byte* buffer, nuint size);
    [LibraryImport(Lib)] public static partial byte* getenv(byte* name);
    [LibraryImport(Lib, EntryPoint = "kill", SetLastError = true)] private static partial int KillNative(int pid, int signal);
    [LibraryImport(Lib)] public static partial int getpgrp();
    [LibraryImport(Lib, SetLastError = true)] public static partial int waitid(int idType, int id, byte* info, int options);
    [LibraryImport(Lib, SetLastError = true)] public static partial int ioctl(int fd, ulong request, void* argument);
    [LibraryImport(Lib, SetLastError = true)] public static partial nint write(int fd, byte* buffer, nint count);

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

    /// <summary>fcntl with one int argument (macOS on arm64 passes it otherwise: see <see cref="FcntlDarwin"/>).</summary>
    public static int fcntl(int fd, int command, int argument) =>
        OperatingSystem.IsMacOS() ? FcntlDarwin(fd, command, argument) : FcntlRegisters(fd, command, argument);

    /// <summary>A pipe whose two ends close on exec (macOS has no pipe2: see <see cref="CloexecPipeDarwin"/>).</summary>
    public static int CloexecPipe(int* fds) => OperatingSystem.IsMacOS() ? CloexecPipeDarwin(fds) : pipe2(fds, O_CLOEXEC);
}
