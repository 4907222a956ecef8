namespace Timebox;

/// <summary>What happens when a capture limit (<see cref="OutputTarget.CaptureWithLimit"/>) is exceeded.</summary>
public enum OutputLimitAction
{
    /// <summary>The program keeps running; the middle of the output is dropped and counted in <see cref="CapturedOutput.DroppedBytes"/>.</summary>
    KeepRunning,

    /// <summary>The termination sequence runs on the whole tree and the run ends with <see cref="Outcome.OutputLimitExceeded"/>.</summary>
    Terminate,
}
