using Timebox.Platform.Unix;

namespace Timebox.Execution;

/// <summary>Chooses the platform implementation of a run.</summary>
internal static class Launcher
{
    public static RunningProcess Start(Command command, CancellationToken cancellationToken) =>
        new(UnixRun.Start(Check(command), EventLoop.Shared, cancellationToken), command);

    /// <summary>
    /// Runs to the end, blocking. A plain run is driven by the calling thread itself, which is waiting anyway; runs that
    /// set up confinement keep to the shared loop, whose thread lives as long as the process (the parent-death signal
    /// and cgroup clean-up depend on it).
    /// </summary>
    public static RunResult Run(Command command, CancellationToken cancellationToken)
    {
        var onCallingThread = command.Limits is null && !command.KillOnParentExit;
        var loop = onCallingThread ? EventLoop.ForCallingThread() : EventLoop.Shared;
        using var process = new RunningProcess(UnixRun.Start(Check(command), loop, cancellationToken), command);
        process.StandardInput?.Dispose();
        if (onCallingThread) loop.RunUntil(() => process.HasEnded);
        return process.Wait();
    }

    private static Command Check(Command command)
    {
        if (OperatingSystem.IsWindows())
            throw new PlatformNotSupportedException("Timebox does not run commands on Windows yet (Job Object support is planned).");
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
            throw new PlatformNotSupportedException("Timebox runs commands on Linux and macOS only.");
        if (command.IdleTimeout is not null && !command.Stdout.IsReadByHost && (command.MergeStderrIntoStdout || !command.Stderr.IsReadByHost))
            throw new InvalidOperationException("An idle timeout watches the output Timebox reads, but this command's output goes straight to the terminal, a file or /dev/null. Capture it, pipe it, or tee it (OutputTarget.Tee(OutputTarget.Inherit, ...)).");
        return command;
    }
}
