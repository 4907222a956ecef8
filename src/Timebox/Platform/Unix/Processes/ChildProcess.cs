namespace Timebox.Platform.Unix;

/// <summary>
/// The main process of a run: a child of this process, left unreaped until <see cref="Reap"/> so that its pid, and the
/// process group id it gave its group, cannot be reused while the run signals them. Linux also holds it by a pidfd;
/// macOS has no pidfds, so there the unreaped pid itself is the handle.
/// </summary>
internal sealed partial class ChildProcess(int pid, int pidfd)
{
    public int Pid { get; } = pid;

    /// <summary>Linux: the pidfd, or -1 when someone else reaped the child before it could be opened (its status is then lost). Always -1 on macOS.</summary>
    public int Pidfd { get; } = pidfd;

    /// <summary>Sends <paramref name="signal"/>; true when it was delivered (to the child, or to its zombie).</summary>
    public bool Signal(int signal) => OperatingSystem.IsMacOS() ? SignalDarwin(signal) : SignalLinux(signal);

    /// <summary>How the child ended, without reaping it. Call once the event loop has reported its exit.</summary>
    public ExitStatus ReadExitStatus() => OperatingSystem.IsMacOS() ? ReadExitStatusDarwin() : ReadExitStatusLinux();

    /// <summary>
    /// Reaps the child (unless someone else did) and lets go of it; after <see cref="ReadExitStatus"/>. Returns what it
    /// used (Linux; null when someone else reaped it, and on macOS). <paramref name="hostPeakBytes"/>: this process's peak
    /// resident set when it spawned the child.
    /// </summary>
    public ResourceUsage? Reap(long hostPeakBytes) => OperatingSystem.IsMacOS() ? ReapDarwin() : ReapLinux(hostPeakBytes);
}
