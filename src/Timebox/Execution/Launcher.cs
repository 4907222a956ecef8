using Timebox.Platform.Unix;
using Timebox.Platform.Windows;

namespace Timebox.Execution;

/// <summary>
/// Chooses the platform implementation of a run. Every way in throws <see cref="OperationCanceledException"/> for a token
/// canceled before the call, as .NET's own APIs do, before it takes anything from the host or spawns anything.
/// </summary>
internal static class Launcher
{
    public static RunningProcess Start(Command command, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Check(command);
        if (OperatingSystem.IsWindows()) return new RunningProcess(WindowsRun.Start(command, cancellationToken), command);
        try
        {
            return new RunningProcess(UnixRun.Start(command, EventLoop.Shared, cancellationToken), command);
        }
        catch (IOException exception)
        {
            throw StartFailure(command, exception);
        }
    }

    /// <summary>
    /// Starts for <see cref="Command.RunAsync"/>: everything taken from the host on the caller's thread, the spawn there
    /// too unless the thread pool has work waiting, then on a pool thread. A spawning thread waits until the child has
    /// exec'd; always done where the caller runs, that wait held up the work queued behind it, so a loop of calls
    /// continuing on one pool thread spawned strictly one at a time. Queued, the spawns are taken up side by side by the
    /// pool's idle threads (bench/NOTES.md).
    /// </summary>
    public static Task<RunningProcess> StartOnThreadPool(Command command, CancellationToken cancellationToken)
    {
        // CreateProcess does not wait for the child to load, so Windows has nothing to move off the caller's thread.
        if (OperatingSystem.IsWindows()) return Task.FromResult(Start(command, cancellationToken));
        cancellationToken.ThrowIfCancellationRequested();
        Check(command);
        EventLoop loop;
        PreparedStart<UnixProgram, RedirectionPlan> prepared;
        try
        {
            // The loop first: a loop that cannot be had then leaves no prepared descriptors behind.
            loop = EventLoop.Shared;
            prepared = UnixRun.Prepare(command);
        }
        catch (IOException exception)
        {
            throw StartFailure(command, exception);
        }
        RunningProcess Spawn()
        {
            try
            {
                return new(UnixRun.Start(prepared, loop, cancellationToken), command);
            }
            catch (IOException exception)
            {
                throw StartFailure(command, exception);
            }
        }
        // With nothing else waiting for a thread the spawn stays here: queuing it would only wake a second thread, and
        // that costs a sequential run more than it saves (bench/NOTES.md).
        return ThreadPool.PendingWorkItemCount == 0 ? Task.FromResult(Spawn()) : Task.Run(Spawn, CancellationToken.None);
    }

    /// <summary>
    /// Runs to the end, blocking. A plain run is driven by the calling thread itself, which is waiting anyway; a confined
    /// run keeps to the shared loop (<see cref="RunConfinement.NeedsSharedLoop"/>).
    /// </summary>
    public static RunResult Run(Command command, CancellationToken cancellationToken)
    {
        var onCallingThread = !OperatingSystem.IsWindows() && !RunConfinement.NeedsSharedLoop(command);
        if (!onCallingThread) return RunToEnd(Start(command, cancellationToken), loop: null);
        cancellationToken.ThrowIfCancellationRequested();
        Check(command);
        EventLoop loop;
        RunningProcess started;
        try
        {
            loop = EventLoop.ForCallingThread();
            started = new RunningProcess(UnixRun.Start(command, loop, cancellationToken), command);
        }
        catch (IOException exception)
        {
            throw StartFailure(command, exception);
        }
        return RunToEnd(started, loop);
    }

    private static RunResult RunToEnd(RunningProcess started, EventLoop? loop)
    {
        using var process = started;
        process.StandardInput?.Dispose();
        loop?.RunUntil(() => process.HasEnded);
        return process.Wait();
    }

    // What the host itself lacked (a descriptor, above all: EMFILE, ENFILE) stopped the start before anything ran, as
    // for any other start failure; the system's words are in the message.
    private static CommandStartException StartFailure(Command command, IOException exception) =>
        new(command, $"The command could not be started: {exception.Message}", exception);

    private static void Check(Command command)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS() && !OperatingSystem.IsWindows())
            throw new PlatformNotSupportedException("Timebox runs commands on Linux, macOS and Windows only.");
        if (command.IdleTimeout is not null && !command.Stdout.IsReadByHost && (command.StderrMerged || !command.Stderr.IsReadByHost))
            throw new InvalidOperationException("An idle timeout watches the output Timebox reads, but this command's output goes straight to the terminal, a file or /dev/null. Capture it, pipe it, or tee it (OutputTarget.Tee(OutputTarget.Inherit, ...)).");
    }
}
