namespace Timebox.Platform.Unix;

/// <summary>
/// PIDFD_GET_INFO with PIDFD_INFO_EXIT (Linux 6.15+): the wait status of a process that someone else already
/// reaped, kept by the kernel for holders of its pidfd.
/// </summary>
internal static unsafe class PidfdExitInfo
{
    private const int InfoSize = 72;
    private const ulong InfoExit = 1 << 3;
    private const int ExitCodeOffset = 60;
    // _IOWR(0xFF, 11, struct pidfd_info) for the 72-byte struct.
    private const ulong GetInfo = 0xC048FF0B;

    public static bool TryRead(int pidfd, out int waitStatus)
    {
        var info = stackalloc byte[InfoSize];
        new Span<byte>(info, InfoSize).Clear();
        *(ulong*)info = InfoExit;
        waitStatus = 0;
        if (Libc.ioctl(pidfd, GetInfo, info) != 0 || (*(ulong*)info & InfoExit) == 0) return false;
        waitStatus = *(int*)(info + ExitCodeOffset);
        return true;
    }
}
