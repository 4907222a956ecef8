namespace Timebox;

/// <summary>
/// Thrown by the checked calls (<see cref="Command.CheckOutputAsync"/>) when the main process was ended by one of its
/// resource limits (<see cref="Outcome.CpuLimitExceeded"/>, <see cref="Outcome.FileSizeLimitExceeded"/>), or when the run's
/// memory limit made the kernel kill one of its processes (<see cref="Outcome.MemoryLimitExceeded"/>);
/// <see cref="CommandFailedException.Result"/> holds the output captured until then.
/// </summary>
public sealed class ResourceLimitExceededException(RunResult result) : CommandFailedException(result)
{
    /// <summary>Which limit: <see cref="Outcome.CpuLimitExceeded"/>, <see cref="Outcome.FileSizeLimitExceeded"/> or <see cref="Outcome.MemoryLimitExceeded"/>.</summary>
    public Outcome Limit => Result.Outcome;
}
