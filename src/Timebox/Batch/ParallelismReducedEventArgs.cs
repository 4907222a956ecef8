namespace Timebox;

/// <summary>
/// A <see cref="BatchRunner"/> ran out of the host's resources (descriptors, memory, processes) while starting a job,
/// and now runs at most <see cref="Parallelism"/> jobs at once. The job was not charged with the failure: it starts
/// again as soon as a run in flight ends.
/// </summary>
public sealed class ParallelismReducedEventArgs : EventArgs
{
    internal ParallelismReducedEventArgs(int parallelism, Exception cause, string reason)
    {
        Parallelism = parallelism;
        Cause = cause;
        Reason = reason;
    }

    /// <summary>How many jobs the batch runs at once from now on.</summary>
    public int Parallelism { get; }

    /// <summary>The error the start failed with.</summary>
    public Exception Cause { get; }

    /// <summary>What ran out, in the system's words (strerror of EMFILE, ENFILE, ENOMEM or EAGAIN), such as "Too many open files".</summary>
    public string Reason { get; }
}
