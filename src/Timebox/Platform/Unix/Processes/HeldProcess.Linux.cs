namespace Timebox.Platform.Unix;

internal readonly partial struct HeldProcess
{
    private static bool TryHoldLinux(int pid, out HeldProcess held)
    {
        var pidfd = Libc.PidfdOpen(pid);
        held = new(pid, pidfd, 0);
        return pidfd >= 0;
    }

    private bool SignalLinux(int signal) => Libc.PidfdSendSignal(_pidfd, signal) == 0;

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
}
