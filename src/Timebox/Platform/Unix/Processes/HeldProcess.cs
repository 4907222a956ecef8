namespace Timebox.Platform.Unix;

/// <summary>
/// A process found in a tree, held so that a signal cannot reach a later process that got its pid: through a pidfd on
/// Linux; on macOS, which has none, by the start time it had when found, compared again right before each signal.
/// </summary>
internal readonly partial struct HeldProcess
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
    public static bool TryHold(int pid, ProcessTable table, out HeldProcess held) =>
        OperatingSystem.IsMacOS() ? TryHoldDarwin(pid, table, out held) : TryHoldLinux(pid, out held);

    /// <summary>Sends <paramref name="signal"/>; true when it was delivered (a zombie counts), false when the process is gone.</summary>
    public bool Signal(int signal) => OperatingSystem.IsMacOS() ? SignalDarwin(signal) : SignalLinux(signal);

    /// <summary>Linux: the pidfd, which becomes readable when the process exits. Always -1 on macOS.</summary>
    public int Pidfd => _pidfd;

    public void Release()
    {
        if (_pidfd >= 0) Libc.close(_pidfd);
    }
}
