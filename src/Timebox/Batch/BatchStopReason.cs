namespace Timebox;

/// <summary>Why a batch stopped before it had run every job (see <see cref="BatchRunner.StopReason"/>).</summary>
public enum BatchStopReason
{
    /// <summary>It did not stop early: every job was run (or the batch is still running normally).</summary>
    None,

    /// <summary>
    /// The caller stopped it: its cancellation token, <see cref="BatchRunner.Stop"/>, <see cref="BatchRunner.Kill"/>, or
    /// leaving the enumeration of results early. Runs in flight got the termination sequence (<see cref="Outcome.Canceled"/>).
    /// </summary>
    Canceled,

    /// <summary>The whole-batch deadline (<see cref="BatchOptions.Timeout"/>) passed; runs in flight got the termination sequence (<see cref="Outcome.Canceled"/>).</summary>
    TimedOut,

    /// <summary>
    /// A job ended without success and <see cref="BatchOptions.FailFast"/> was set; the other runs in flight got the
    /// termination sequence (<see cref="Outcome.Canceled"/>).
    /// </summary>
    FailFast,

    /// <summary>
    /// Something other than a job's own failure went wrong (the job sequence threw, an output target of a job threw, or a
    /// command was invalid); runs in flight got the termination sequence and the enumeration of results rethrows the error
    /// once they have ended.
    /// </summary>
    Faulted,
}
