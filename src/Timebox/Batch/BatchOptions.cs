namespace Timebox;

/// <summary>
/// How a <see cref="BatchRunner"/> runs its jobs: how many at once, the whole-batch deadline, fail-fast or keep-going,
/// and retries. Each job's own deadline is its command's (<see cref="Command.WithTimeout"/>).
/// </summary>
public sealed class BatchOptions
{
    /// <summary>How many jobs run at once (worker slots); the number of processors by default.</summary>
    public int MaxParallelism { get; init; } = Environment.ProcessorCount;

    /// <summary>
    /// The whole-batch deadline, counted from the start of the enumeration; null (the default) for none. When it passes, no
    /// further job starts, every run in flight gets the termination sequence (its grace period, then SIGKILL) and ends with
    /// <see cref="Outcome.Canceled"/>, their results are still delivered, and <see cref="BatchRunner.StopReason"/> is
    /// <see cref="BatchStopReason.TimedOut"/>. Jobs that never started yield no result.
    /// </summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>
    /// Stop at the first job that ends without success after its last attempt (false by default: keep going). The other
    /// runs in flight then get the termination sequence and end with <see cref="Outcome.Canceled"/>; jobs not yet
    /// started never run.
    /// </summary>
    public bool FailFast { get; init; }

    /// <summary>
    /// How many attempts a job gets in all, its first included (1 by default: no retry). An attempt is retried when its
    /// outcome is in <see cref="RetryOn"/>; the batch delivers every attempt's result, those followed by another with
    /// <see cref="BatchResult.WillRetry"/> set.
    /// </summary>
    public int MaxAttempts { get; init; } = 1;

    /// <summary>
    /// The outcomes that are retried (while attempts remain): by default <see cref="Outcome.TimedOut"/> and
    /// <see cref="Outcome.IdleTimedOut"/>. <see cref="Outcome.Exited"/> here means a non-zero exit code: a success is never
    /// retried, nor is a run the batch itself canceled, nor a command that could not start.
    /// </summary>
    public IReadOnlyCollection<Outcome> RetryOn { get; init; } = [Outcome.TimedOut, Outcome.IdleTimedOut];

    internal void Validate()
    {
        if (MaxParallelism < 1) throw new ArgumentOutOfRangeException(nameof(MaxParallelism), MaxParallelism, "At least one job must be able to run.");
        if (MaxAttempts < 1) throw new ArgumentOutOfRangeException(nameof(MaxAttempts), MaxAttempts, "A job gets at least one attempt.");
        if (Timeout is { } timeout && timeout <= TimeSpan.Zero && timeout != System.Threading.Timeout.InfiniteTimeSpan)
            throw new ArgumentOutOfRangeException(nameof(Timeout), timeout, "The batch timeout must be positive (use null for none).");
        ArgumentNullException.ThrowIfNull(RetryOn);
    }
}
