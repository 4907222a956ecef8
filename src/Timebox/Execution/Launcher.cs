using Timebox.Platform.Unix;
using Timebox.Platform.Windows;

namespace Timebox.Execution;

/// <summary>Chooses the platform implementation of a run.</summary>
internal static class Launcher
{
    public static RunningProcess Start(Command command, CancellationToken cancellationToken)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS() && !OperatingSystem.IsWindows())
            throw new PlatformNotSupportedException("Timebox runs commands on Linux, macOS and Windows only.");
        if (command.IdleTimeout is not null && !command.Stdout.IsReadByHost && (command.MergeStderrIntoStdout || !command.Stderr.IsReadByHost))
            throw new InvalidOperationException("An idle timeout watches the output Timebox reads, but this command's output goes straight to the terminal, a file or /dev/null. Capture it, pipe it, or tee it (OutputTarget.Tee(OutputTarget.Inherit, ...)).");
        if (OperatingSystem.IsWindows())
            return new RunningProcess(WindowsRun.Start(command, cancellationToken), command);
        return new RunningProcess(UnixRun.Start(command, cancellationToken), command);
    }
}
