namespace Timebox;

/// <summary>
/// Thrown by the checked calls when the deadline passed (or, as <see cref="CommandIdleTimeoutException"/>, the output
/// went silent); <see cref="CommandFailedException.Result"/> holds the partial output.
/// </summary>
public class CommandTimeoutException(RunResult result) : CommandFailedException(result);
