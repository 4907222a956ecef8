using System.Diagnostics;

namespace Timebox.Platform.Unix;

/// <summary>
/// The main process of a run: a child of this process, left unreaped until <see cref="Reap"/> so that its pid, and the
/// process group id it gave its group, cannot be reused while the run signals them. Linux also holds it by a pidfd;
/// macOS has no pidfds, so there the unreaped pid itself is the handle.
/// </summary>
internal sealed class ChildProcess(int pid, int pidfd)
{
    private int? _reportedWaitStatus;
    private bool _exitRead;

    public int Pid { get; } = pid;

    /// <summary>Linux: the pidfd, or -1 when someone else reaped the child before it could be opened (its status is then lost). Always -1 on macOS.</summary>
    public int Pidfd { get; } = pidfd;

    /// <summary>macOS: true once the child is a zombie, or no longer ours to wait for because someone else reaped it.</summary>
    public bool HasExited => ExitStatus.PeekByPid(Pid) is not null;

    /// <summary>Keeps the wait status that came with the exit event (macOS NOTE_EXITSTATUS): it stays known even if someone else reaps the child.</summary>
    public void ReportExit(int waitStatus) => _reportedWaitStatus = waitStatus;

    /// <summary>Sends <paramref name="signal"/>; true when it was delivered (to the child, or to its zombie).</summary>
    public bool Signal(int signal)
    {
        if (OperatingSystem.IsMacOS()) return Libc.kill(Pid, signal) == 0;
        return Pidfd >= 0 && Libc.PidfdSendSignal(Pidfd, signal) == 0;
    }

    /// <summary>How the child ended, without reaping it. Call once the event loop has reported its exit.</summary>
    public ExitStatus ReadExitStatus()
    {
        if (!OperatingSystem.IsMacOS()) return Pidfd >= 0 ? ExitStatus.Read(Pidfd) : default;
        _exitRead = true;
        return _reportedWaitStatus is { } status ? ExitStatus.FromWaitStatus(status) : ExitStatus.PeekByPid(Pid) ?? default;
    }

    /// <summary>
    /// Reaps the child (unless someone else did) and lets go of it; after <see cref="ReadExitStatus"/>. Returns what it
    /// used (Linux; null when someone else reaped it, and on macOS). <paramref name="hostPeakBytes"/>: this process's peak
    /// resident set when it spawned the child.
    /// </summary>
    public ResourceUsage? Reap(long hostPeakBytes)
    {
        if (!OperatingSystem.IsMacOS()) return Pidfd >= 0 ? ExitStatus.Reap(Pidfd, hostPeakBytes) : null;
        // XNU posts NOTE_EXIT a little before the child becomes a zombie, so this may wait; only for the rest of the
        // kernel's exit path, which waits on nothing in user space, because the exit was already reported.
        Debug.Assert(_exitRead, "reaping a child whose exit was not reported would block the event loop");
        ExitStatus.ReapByPid(Pid);
        return null;
    }
}
