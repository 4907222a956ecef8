namespace Timebox;

/// <summary>
/// Thrown by the checked calls when the run was canceled. It is an <see cref="OperationCanceledException"/>, so
/// ordinary cancellation handling catches it; <see cref="Result"/> holds the output captured before the kill.
/// </summary>
public sealed class CommandCanceledException(RunResult result, CancellationToken token)
    : OperationCanceledException($"Command canceled: {result.Command.ForMessage()}", token)
{
    /// <summary>What happened, with the output captured up to the cancellation.</summary>
    public RunResult Result { get; } = result;
}
