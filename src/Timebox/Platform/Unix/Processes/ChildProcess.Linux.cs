namespace Timebox.Platform.Unix;

internal sealed partial class ChildProcess
{
    private bool SignalLinux(int signal) => Pidfd >= 0 && Libc.PidfdSendSignal(Pidfd, signal) == 0;

    private ExitStatus ReadExitStatusLinux() => Pidfd >= 0 ? ExitStatus.Read(Pidfd) : default;

    private ResourceUsage? ReapLinux(long hostPeakBytes) => Pidfd >= 0 ? ExitStatus.Reap(Pidfd, hostPeakBytes) : null;
}
