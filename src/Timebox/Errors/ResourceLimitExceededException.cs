namespace Timebox;

/// <summary>
/// Thrown by the checked calls (<see cref="Command.CheckOutputAsync"/>) when the main process was ended by one of its
/// resource limits (<see cref="Outcome.CpuLimitExceeded"/>, <see cref="Outcome.FileSizeLimitExceeded"/>);
/// <see cref="CommandFailedException.Result"/> holds the output captured until then.
/// </summary>
public sealed class ResourceLimitExceededException(RunResult result) : CommandFailedException(result)
{
    /// <summary>Which limit: <see cref="Outcome.CpuLimitExceeded"/> or <see cref="Outcome.FileSizeLimitExceeded"/>.</summary>
    public Outcome Limit => Result.Outcome;
}
