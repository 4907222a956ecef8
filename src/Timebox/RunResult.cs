using System.ComponentModel;

namespace Timebox;

/// <summary>
/// What happened to one run. Never thrown: a non-zero exit, a timeout or a cancellation are all described here,
/// with the output captured up to the end (on timeout, everything written before the kill).
/// Dispose it to release spilled output at once (see <see cref="Command.WithSpill"/>); memory-only results need no disposal.
/// </summary>
public sealed class RunResult : IDisposable
{
    internal RunResult(Command command, int processId, Outcome outcome, int? exitCode, int? signal, bool forcefullyKilled,
        bool outputIncomplete, CapturedOutput stdout, CapturedOutput stderr, DateTimeOffset startedAt, TimeSpan duration)
    {
        Command = command;
        ProcessId = processId;
        Outcome = outcome;
        ExitCode = exitCode;
        Signal = signal;
        ForcefullyKilled = forcefullyKilled;
        OutputIncomplete = outputIncomplete;
        Stdout = stdout;
        Stderr = stderr;
        StartedAt = startedAt;
        Duration = duration;
    }

    /// <summary>The command that ran.</summary>
    public Command Command { get; }

    /// <summary>The process id of the main process.</summary>
    public int ProcessId { get; }

    /// <summary>Why the run ended.</summary>
    public Outcome Outcome { get; }

    /// <summary>The exit code when the main process exited normally (also after a timeout if it exited on the termination signal); otherwise null.</summary>
    public int? ExitCode { get; }

    /// <summary>The signal that ended the main process (for example 15 after a graceful timeout, 9 when it had to be killed); otherwise null.</summary>
    public int? Signal { get; }

    /// <summary>
    /// True when SIGKILL ended a process of the tree that the termination signal had not: one that outlived the grace
    /// period, or that was still running (not already dying of the signal) when the main process ended and the rest of
    /// the tree was killed. Processes that were already exiting, or hit by a fatal signal, do not count.
    /// </summary>
    public bool ForcefullyKilled { get; }

    /// <summary>The former name of <see cref="ForcefullyKilled"/>.</summary>
    [Obsolete("Use ForcefullyKilled.")]
    [EditorBrowsable(EditorBrowsableState.Never)]
    public bool Forced => ForcefullyKilled;

    /// <summary>
    /// True when the main process ended but something still held its output pipes after the drain period
    /// (see <see cref="Command.WithDrainTimeout"/>): those holders were killed and output may be incomplete.
    /// </summary>
    public bool OutputIncomplete { get; }

    /// <summary>
    /// False in the rare case the exit status could not be learned (another component of the host reaped
    /// the process on a kernel without <c>PIDFD_INFO_EXIT</c>); <see cref="ExitCode"/> and <see cref="Signal"/> are then null.
    /// </summary>
    public bool ExitStatusKnown => ExitCode is not null || Signal is not null;

    /// <summary>Captured standard output (empty unless it was captured).</summary>
    public CapturedOutput Stdout { get; }

    /// <summary>Captured standard error (empty unless it was captured; empty when merged into standard output, which then holds it).</summary>
    public CapturedOutput Stderr { get; }

    /// <summary>When the process was started.</summary>
    public DateTimeOffset StartedAt { get; }

    /// <summary>From start until the run completed (including the termination sequence and the drain).</summary>
    public TimeSpan Duration { get; }

    /// <summary>
    /// CPU time and peak memory of the main process and its waited-for descendants (see <see cref="ResourceUsage"/>),
    /// also after a timeout. Null when the kernel no longer had them: another part of the host reaped the main process
    /// first (the .NET runtime does when the host is PID 1 of a container), or it could not be waited for.
    /// </summary>
    public ResourceUsage? Usage { get; internal init; }

    /// <summary>How many processes the termination sequence reached, the main process included; 0 when none was signaled (the CLI's killed_processes).</summary>
    internal int SignaledProcesses { get; init; }

    /// <summary>True when the program exited by itself with code 0.</summary>
    public bool Succeeded => Outcome == Outcome.Exited && ExitCode == 0;

    /// <summary>A one-line description: the outcome, the status and the command line.</summary>
    public override string ToString() => $"{Describe()}: {Command}";

    internal string Describe()
    {
        var status = ExitCode is { } code ? $"exit code {code}" : Signal is { } sig ? $"signal {sig} (SIG{Signals.NameOf(sig)})" : "unknown status";
        return Outcome switch
        {
            Outcome.TimedOut => $"timed out after {Command.Timeout?.TotalSeconds:0.###} s, {(ForcefullyKilled ? "killed" : "terminated")} ({status})",
            Outcome.Canceled => $"canceled, {(ForcefullyKilled ? "killed" : "terminated")} ({status})",
            Outcome.IdleTimedOut => $"idle for {Command.IdleTimeout?.TotalSeconds:0.###} s, {(ForcefullyKilled ? "killed" : "terminated")} ({status})",
            Outcome.OutputLimitExceeded => $"exceeded its output limit, {(ForcefullyKilled ? "killed" : "terminated")} ({status})",
            Outcome.MemoryLimitExceeded => $"exceeded its memory limit, a process was killed ({status})",
            Outcome.OutputFailed => $"killed because its output could not be kept ({status})",
            _ => status,
        };
    }

    /// <summary>Releases the captured output's spill files, if any. The output cannot be read afterwards.</summary>
    public void Dispose()
    {
        Stdout.Dispose();
        Stderr.Dispose();
    }
}
