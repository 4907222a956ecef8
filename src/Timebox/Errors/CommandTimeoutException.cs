namespace Timebox;

/// <summary>Thrown by the checked calls when the deadline passed; <see cref="CommandFailedException.Result"/> holds the partial output.</summary>
public sealed class CommandTimeoutException(RunResult result) : CommandFailedException(result);
