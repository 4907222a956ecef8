using System.Runtime.InteropServices;

namespace Timebox.Platform.Unix;

/// <summary>The macOS system calls and constants Timebox needs where Linux has others (kqueue for epoll, sysctl for /proc).</summary>
internal static unsafe partial class Libc
{
    // macOS's values of the constants it numbers otherwise than Linux: Libc.cs picks them.
    private static class Darwin
    {
        public const int EAGAIN = 35, O_NONBLOCK = 0x4, O_CLOEXEC = 0x1000000, WNOWAIT = 0x20;
    }

    public const short EVFILT_READ = -1, EVFILT_PROC = -5, EVFILT_USER = -10;
    public const ushort EV_ADD = 0x1, EV_DELETE = 0x2, EV_CLEAR = 0x20;
    public const uint NOTE_EXIT = 0x80000000, NOTE_EXITSTATUS = 0x04000000, NOTE_TRIGGER = 0x01000000;

    public const short POSIX_SPAWN_CLOEXEC_DEFAULT = 0x4000;

    // Named apart from "libc": the timebox CLI binds "libc" at link time (DirectPInvoke), and glibc has none of these.
    // A build that keeps the macOS paths (an unoptimized NativeAOT publish) must not need them to link on Linux.
    private const string LibSystem = "/usr/lib/libSystem.B.dylib";

    [LibraryImport(LibSystem, SetLastError = true)] public static partial int kqueue();
    [LibraryImport(LibSystem, SetLastError = true)] public static partial int kevent(int kq, byte* changes, int changeCount, byte* events, int eventCount, long* timeout);
    [LibraryImport(LibSystem, SetLastError = true)] public static partial int sysctl(int* name, uint nameLength, void* oldValue, nuint* oldLength, void* newValue, nuint newLength);
    [LibraryImport(LibSystem, SetLastError = true)] public static partial int pipe(int* fds);
    [LibraryImport(LibSystem)] public static partial int posix_spawn_file_actions_addinherit_np(void* actions, int fd);
    [LibraryImport(Lib, EntryPoint = "fcntl", SetLastError = true)] private static partial int FcntlAppleArm64(int fd, int command, nint x2, nint x3, nint x4, nint x5, nint x6, nint x7, nint argument);

    /// <remarks>
    /// fcntl is variadic, and Apple's arm64 ABI passes variadic arguments on the stack where a plain P/Invoke puts them
    /// in a register: there the argument goes after eight register-sized placeholders (dotnet/runtime#48796).
    /// </remarks>
    private static int FcntlDarwin(int fd, int command, int argument) =>
        RuntimeInformation.ProcessArchitecture == Architecture.Arm64
            ? FcntlAppleArm64(fd, command, 0, 0, 0, 0, 0, 0, argument)
            : FcntlRegisters(fd, command, argument);

    /// <summary>
    /// macOS has no pipe2, so the close-on-exec flag is set just after pipe(): a process forked elsewhere in the host in
    /// between inherits the ends. Timebox's own children do not (POSIX_SPAWN_CLOEXEC_DEFAULT).
    /// </summary>
    private static int CloexecPipeDarwin(int* fds)
    {
        if (pipe(fds) != 0) return -1;
        fcntl(fds[0], F_SETFD, FD_CLOEXEC);
        fcntl(fds[1], F_SETFD, FD_CLOEXEC);
        return 0;
    }
}
