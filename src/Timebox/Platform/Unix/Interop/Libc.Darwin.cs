using System.Runtime.InteropServices;

namespace Timebox.Platform.Unix;

/// <summary>The macOS system calls and constants Timebox needs where Linux has others (kqueue for epoll, sysctl for /proc).</summary>
internal static unsafe partial class Libc
{
    public const short EVFILT_READ = -1, EVFILT_PROC = -5, EVFILT_USER = -10;
    public const ushort EV_ADD = 0x1, EV_DELETE = 0x2, EV_CLEAR = 0x20;
    public const uint NOTE_EXIT = 0x80000000, NOTE_EXITSTATUS = 0x04000000, NOTE_TRIGGER = 0x01000000;

    public const short POSIX_SPAWN_CLOEXEC_DEFAULT = 0x4000;

    // Named apart from "libc": the timebox CLI binds "libc" at link time (DirectPInvoke), and glibc has none of these.
    // A build that keeps the macOS paths (an unoptimized NativeAOT publish) must not need them to link on Linux.
    private const string Darwin = "/usr/lib/libSystem.B.dylib";

    [LibraryImport(Darwin, SetLastError = true)] public static partial int kqueue();
    [LibraryImport(Darwin, SetLastError = true)] public static partial int kevent(int kq, byte* changes, int changeCount, byte* events, int eventCount, long* timeout);
    [LibraryImport(Darwin, SetLastError = true)] public static partial int sysctl(int* name, uint nameLength, void* oldValue, nuint* oldLength, void* newValue, nuint newLength);
    [LibraryImport(Darwin, SetLastError = true)] public static partial int pipe(int* fds);
    [LibraryImport(Darwin)] public static partial int posix_spawn_file_actions_addinherit_np(void* actions, int fd);
}
