namespace Timebox;

/// <summary>
/// Thrown by the checked calls when the run ended with <see cref="Outcome.IdleTimedOut"/>: no output (or no progress)
/// for the idle timeout. A <see cref="CommandTimeoutException"/>, so timeout handling catches it too; the partial output is in the result.
/// </summary>
public sealed class CommandIdleTimeoutException(RunResult result) : CommandTimeoutException(result);
