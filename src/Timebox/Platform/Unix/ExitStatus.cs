namespace Timebox.Platform.Unix;

/// <summary>How a child ended, read through its pidfd: an exit code, a signal, or neither when the status was lost.</summary>
internal readonly record struct ExitStatus(int? ExitCode, int? Signal, bool CoreDumped = false)
{
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
        if (PidfdExitInfo.TryRead(pidfd, out var waitStatus))
            return (waitStatus & 0x7f) == 0 ? new((waitStatus >> 8) & 0xff, null) : new(null, waitStatus & 0x7f, (waitStatus & 0x80) != 0);
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
}
