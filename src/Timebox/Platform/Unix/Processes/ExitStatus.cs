namespace Timebox.Platform.Unix;

/// <summary>How a child ended: an exit code, a signal (in Linux numbering, see <see cref="NativeSignals"/>), or neither when the status was lost.</summary>
internal readonly record struct ExitStatus(int? ExitCode, int? Signal, bool CoreDumped = false)
{
    // macOS's siginfo_t has no padding before si_pid, so its fields sit four bytes earlier than Linux's.
    private const int DarwinPidOffset = 12, DarwinStatusOffset = 20;

    /// <summary>
    /// Reads the status of an ended child without reaping it, so that its pid (and process group id) stay reserved
    /// until <see cref="Reap"/>. Falls back to the status the kernel keeps for pidfd holders when someone else
    /// already reaped it (the .NET runtime does when the host is PID 1).
    /// </summary>
    public static unsafe ExitStatus Read(int pidfd)
    {
        var info = stackalloc byte[128];
        new Span<byte>(info, 128).Clear();
        if (Libc.waitid(Libc.P_PIDFD, pidfd, info, Libc.WEXITED | Libc.WNOHANG | Libc.WNOWAIT) == 0 && *(int*)(info + 16) != 0)
        {
            var code = *(int*)(info + 8);
            var status = *(int*)(info + 24);
            return code == Libc.CLD_EXITED ? new(status, null) : new(null, status, code == Libc.CLD_DUMPED);
        }
        if (PidfdExitInfo.TryRead(pidfd, out var waitStatus)) return FromWaitStatus(waitStatus);
        return default;
    }

    /// <summary>
    /// Reaps the ended child (if nobody else did), closes its pidfd and returns what it used, or null when someone else
    /// reaped it first. <paramref name="hostPeakBytes"/> is this process's peak resident set when it spawned the child.
    /// </summary>
    public static unsafe ResourceUsage? Reap(int pidfd, long hostPeakBytes = long.MaxValue)
    {
        var info = stackalloc byte[128];
        var usage = stackalloc byte[Rusage.Size];
        new Span<byte>(info, 128).Clear();
        var reaped = Rusage.Waitid(Libc.P_PIDFD, pidfd, info, Libc.WEXITED | Libc.WNOHANG, usage) == 0 && *(int*)(info + 16) != 0;
        Libc.close(pidfd);
        return reaped ? Rusage.ToUsage(usage, hostPeakBytes) : null;
    }

    /// <summary>Decodes a wait status as waitpid returns it.</summary>
    public static ExitStatus FromWaitStatus(int waitStatus) =>
        (waitStatus & 0x7f) == 0 ? new((waitStatus >> 8) & 0xff, null) : new(null, NativeSignals.ToLinux(waitStatus & 0x7f), (waitStatus & 0x80) != 0);

    /// <summary>
    /// macOS, which has no pidfds: the status of child <paramref name="pid"/>, without reaping it. Null while it is not a
    /// zombie yet; unknown (default) when someone else in this process reaped it.
    /// </summary>
    public static unsafe ExitStatus? PeekByPid(int pid)
    {
        var info = stackalloc byte[128];
        // XNU leaves the siginfo untouched when WNOHANG finds nothing, so a cleared one reads as "not yet".
        new Span<byte>(info, 128).Clear();
        int result;
        do result = Libc.waitid(Libc.P_PID, pid, info, Libc.WEXITED | Libc.WNOHANG | Libc.WNOWAIT);
        while (result != 0 && Libc.Errno == Libc.EINTR);
        if (result != 0) return Libc.Errno == Libc.ECHILD ? default(ExitStatus) : null;
        if (*(int*)(info + DarwinPidOffset) == 0) return null;
        var code = *(int*)(info + 8);
        // XNU puts exit-reason bits above the low byte of si_status; the exit code or signal is below them.
        var status = *(int*)(info + DarwinStatusOffset);
        return code == Libc.CLD_EXITED ? new(status & 0xff, null) : new(null, NativeSignals.ToLinux(status & 0x7f), code == Libc.CLD_DUMPED);
    }

    /// <summary>
    /// Reaps child <paramref name="pid"/> (if nobody else did), waiting for it to become a zombie: on macOS, and for a
    /// child that could not be held by a pidfd and was killed.
    /// </summary>
    public static unsafe void ReapByPid(int pid)
    {
        var info = stackalloc byte[128];
        int result;
        do result = Libc.waitid(Libc.P_PID, pid, info, Libc.WEXITED);
        while (result != 0 && Libc.Errno == Libc.EINTR);
    }
}
