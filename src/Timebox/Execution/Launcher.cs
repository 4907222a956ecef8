using Timebox.Platform.Unix;

namespace Timebox.Execution;

/// <summary>Chooses the platform implementation of a run.</summary>
internal static class Launcher
{
    public static RunningProcess Start(Command command, CancellationToken cancellationToken)
    {
        if (OperatingSystem.IsWindows())
            throw new PlatformNotSupportedException("Timebox does not run commands on Windows yet (Job Object support is planned).");
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
            throw new PlatformNotSupportedException("Timebox runs commands on Linux and macOS only.");
        return new RunningProcess(UnixRun.Start(command, cancellationToken));
    }
}
