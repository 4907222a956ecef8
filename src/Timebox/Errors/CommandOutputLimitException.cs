namespace Timebox;

/// <summary>
/// Thrown by the checked calls when the run ended with <see cref="Outcome.OutputLimitExceeded"/>; the result holds the
/// head and tail that were kept and <see cref="CapturedOutput.DroppedBytes"/>.
/// </summary>
public sealed class CommandOutputLimitException(RunResult result) : CommandFailedException(result);
