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
        if (command.IdleTimeout is not null && !command.Stdout.IsReadByHost && (command.MergeStderrIntoStdout || !command.Stderr.IsReadByHost))
            throw new InvalidOperationException("An idle timeout watches the output Timebox reads, but this command's output goes straight to the terminal, a file or /dev/null. Capture it, pipe it, or tee it (OutputTarget.Tee(OutputTarget.Inherit, ...)).");
        return new RunningProcess(UnixRun.Start(command, cancellationToken), command);
    }
}
