namespace Timebox.Platform.Unix;

/// <summary>
/// A process found in a tree, held so that a signal cannot reach a later process that got its pid: through a pidfd on
/// Linux; on macOS, which has none, by the start time it had when found, compared again right before each signal.
/// </summary>
/// <remarks>
/// The macOS check leaves a window of a few microseconds between the comparison and kill(), in which the process would
/// have to exit, be reaped and its pid be given out again; macOS hands out pids in increasing order, so only after
/// wrapping around its whole pid space.
/// </remarks>
internal readonly struct HeldProcess
{
    private readonly int _pid, _pidfd;
    private readonly long _startTime;

    private HeldProcess(int pid, int pidfd, long startTime)
    {
        _pid = pid;
        _pidfd = pidfd;
        _startTime = startTime;
    }

    /// <summary>Holds <paramref name="pid"/>, found in <paramref name="table"/>; false when it is already gone.</summary>
    public static bool TryHold(int pid, ProcessTable table, out HeldProcess held)
    {
        if (OperatingSystem.IsMacOS())
        {
            held = new(pid, -1, table.StartTimeOf(pid));
            return true;
        }
        var pidfd = Libc.PidfdOpen(pid);
        held = new(pid, pidfd, 0);
        return pidfd >= 0;
    }

    /// <summary>Sends <paramref name="signal"/>; true when it was delivered (a zombie counts), false when the process is gone.</summary>
    public bool Signal(int signal)
    {
        if (!OperatingSystem.IsMacOS()) return Libc.PidfdSendSignal(_pidfd, signal) == 0;
        return DarwinProcessList.StartTimeOf(_pid) == _startTime && Libc.kill(_pid, signal) == 0;
    }

    /// <summary>Linux: the pidfd, which becomes readable when the process exits.</summary>
    public int Pidfd => _pidfd;

    /// <summary>
    /// Linux: reaps the process if it has ended and is this process's child (an orphan a subreaper adopted); true if it
    /// was. By pidfd, so it can only ever reap this process, never one of the runtime's <c>Process</c> children.
    /// </summary>
    public unsafe bool TryReap()
    {
        var info = stackalloc byte[128];
        new Span<byte>(info, 128).Clear();
        return Libc.waitid(Libc.P_PIDFD, _pidfd, info, Libc.WEXITED | Libc.WNOHANG) == 0 && *(int*)(info + 16) != 0;
    }

    public void Release()
    {
        if (_pidfd >= 0) Libc.close(_pidfd);
    }
}
