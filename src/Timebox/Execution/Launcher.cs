using Timebox.Platform.Unix;

namespace Timebox.Execution;

/// <summary>Chooses the platform implementation of a run.</summary>
internal static class Launcher
{
    public static RunningProcess Start(Command command, CancellationToken cancellationToken)
    {
        if (OperatingSystem.IsWindows())
            throw new PlatformNotSupportedException("Timebox does not run commands on Windows yet (Job Object support is planned).");
        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException("Timebox runs commands on Linux only for now (it needs pidfds and epoll).");
        return new RunningProcess(UnixRun.Start(command, cancellationToken));
    }
}
