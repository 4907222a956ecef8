namespace Timebox.Hangfire;

/// <summary>One job of a distributed batch: its id and its job-file line (the JSON object `timebox batch` reads).</summary>
/// <param name="Id">The job's id, unique in its batch (it supersedes the line's own id field).</param>
/// <param name="JobLine">The job, as one line of a job file: command or shell, and optionally timeout, kill_after, idle_timeout, cwd, env, stdin.</param>
public sealed record TimeboxBatchJob(string Id, string JobLine)
{
    /// <summary>The number of its first attempt (1 by default; later when an earlier run of the batch already made attempts).</summary>
    public int FirstAttempt { get; init; } = 1;
}
