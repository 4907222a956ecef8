namespace Timebox;

/// <summary>
/// One job of a batch (<see cref="BatchRunner"/>): an identifier and the command to run. The command carries the job's
/// own deadline, grace period, idle timeout and output targets: on its timeout the termination sequence runs on its whole
/// process tree and the attempt ends with <see cref="Outcome.TimedOut"/>, as for any run, and the batch goes on.
/// </summary>
public sealed class BatchJob
{
    /// <summary>A job named <paramref name="id"/> that runs <paramref name="command"/>.</summary>
    /// <param name="id">The job's identifier, reported with each of its results (the batch does not require it to be unique).</param>
    /// <param name="command">The command; its own timeout, if any, is the job's deadline for each attempt.</param>
    public BatchJob(string id, Command command)
    {
        ArgumentNullException.ThrowIfNull(id);
        ArgumentNullException.ThrowIfNull(command);
        Id = id;
        Command = command;
    }

    /// <summary>The job's identifier.</summary>
    public string Id { get; }

    /// <summary>The command each attempt runs. Its deadline applies to each attempt separately.</summary>
    public Command Command { get; }

    /// <summary>
    /// The number given to this job's first attempt in this batch (1 by default). A job resumed from an earlier batch
    /// that already made attempts starts later: attempts are numbered up to <see cref="BatchOptions.MaxAttempts"/>, so a
    /// job whose first attempt here is 3 of at most 3 is run once, without retries.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Less than 1.</exception>
    public int FirstAttempt
    {
        get;
        init => field = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(FirstAttempt), value, "Attempts are numbered from 1.");
    } = 1;

    /// <summary>Anything the caller wants to find again in the job's results (the batch does not look at it).</summary>
    public object? State { get; init; }

    /// <summary>The identifier and the command line.</summary>
    public override string ToString() => $"{Id}: {Command}";
}
