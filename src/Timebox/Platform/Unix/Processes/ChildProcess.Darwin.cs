using System.Diagnostics;

namespace Timebox.Platform.Unix;

internal sealed partial class ChildProcess
{
    private int? _reportedWaitStatus;
    private bool _exitRead;

    /// <summary>macOS: true once the child is a zombie, or no longer ours to wait for because someone else reaped it.</summary>
    public bool HasExited => ExitStatus.PeekByPid(Pid) is not null;

    /// <summary>Keeps the wait status that came with the exit event (macOS NOTE_EXITSTATUS): it stays known even if someone else reaps the child.</summary>
    public void ReportExit(int waitStatus) => _reportedWaitStatus = waitStatus;

    private bool SignalDarwin(int signal) => Libc.kill(Pid, signal) == 0;

    private ExitStatus ReadExitStatusDarwin()
    {
        _exitRead = true;
        return _reportedWaitStatus is { } status ? ExitStatus.FromWaitStatus(status) : ExitStatus.PeekByPid(Pid) ?? default;
    }

    private ResourceUsage? ReapDarwin()
    {
        // XNU posts NOTE_EXIT a little before the child becomes a zombie, so this may wait; only for the rest of the
        // kernel's exit path, which waits on nothing in user space, because the exit was already reported.
        Debug.Assert(_exitRead, "reaping a child whose exit was not reported would block the event loop");
        ExitStatus.ReapByPid(Pid);
        return null;
    }
}
