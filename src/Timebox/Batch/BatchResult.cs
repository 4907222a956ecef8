namespace Timebox;

/// <summary>
/// One attempt of one job of a batch, delivered as soon as it ended. Exactly one of <see cref="Result"/> (it ran: exit,
/// signal, its own timeout, or the batch's cancellation, see <see cref="RunResult.Outcome"/>) and <see cref="StartError"/>
/// (nothing ran) is set. The receiver owns <see cref="Result"/> and should dispose it once read (spilled output).
/// </summary>
public sealed class BatchResult
{
    internal BatchResult(BatchJob job, int attempt, int slot, RunResult? result, CommandStartException? startError,
        DateTimeOffset startedAt, TimeSpan duration, bool willRetry)
    {
        Job = job;
        Attempt = attempt;
        Slot = slot;
        Result = result;
        StartError = startError;
        StartedAt = startedAt;
        Duration = duration;
        WillRetry = willRetry;
    }

    /// <summary>The job.</summary>
    public BatchJob Job { get; }

    /// <summary>The attempt's number, from <see cref="BatchJob.FirstAttempt"/> (1 unless resumed) up to <see cref="BatchOptions.MaxAttempts"/>.</summary>
    public int Attempt { get; }

    /// <summary>The worker slot that ran it, from 0 to <see cref="BatchOptions.MaxParallelism"/> − 1 (for timelines: one slot runs one job at a time).</summary>
    public int Slot { get; }

    /// <summary>
    /// What happened, when the command started: on the job's own timeout <see cref="Outcome.TimedOut"/> (or
    /// <see cref="Outcome.IdleTimedOut"/>), when the batch was canceled, timed out or failed fast while it ran
    /// <see cref="Outcome.Canceled"/>, each after the termination sequence on its whole tree. Null when it could not start.
    /// </summary>
    public RunResult? Result { get; }

    /// <summary>Why the command could not start (nothing ran), or null when it started.</summary>
    public CommandStartException? StartError { get; }

    /// <summary>When the attempt started (or tried to).</summary>
    public DateTimeOffset StartedAt { get; }

    /// <summary>How long the attempt took, its termination sequence included.</summary>
    public TimeSpan Duration { get; }

    /// <summary>True when another attempt of the same job follows (its outcome is in <see cref="BatchOptions.RetryOn"/> and attempts remain).</summary>
    public bool WillRetry { get; }

    /// <summary>True when the command exited by itself with code 0.</summary>
    public bool Succeeded => Result?.Succeeded == true;

    /// <summary>The job, the attempt and what happened, on one line.</summary>
    public override string ToString() =>
        $"{Job.Id} (attempt {Attempt}): {(Result is { } result ? result.Describe() : $"could not start: {StartError?.Message}")}";
}
