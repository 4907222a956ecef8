namespace Timebox.Execution;

/// <summary>
/// A one-shot timer a platform schedules for a run (<see cref="RunStateMachine{TReader}"/>): its action runs as one step
/// of the run, never after <see cref="Cancel"/>, which is called within a step, so a canceled timer cannot act on a later phase.
/// </summary>
internal interface IRunTimer
{
    void Cancel();
}
