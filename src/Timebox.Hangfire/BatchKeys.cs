namespace Timebox.Hangfire;

/// <summary>
/// Where a distributed batch lives in the Hangfire storage, besides its Hangfire jobs: three hashes under
/// "timebox:batch:ID". They use the storage's own API, so any Hangfire storage holds them.
/// </summary>
internal static class BatchKeys
{
    /// <summary>Job id → its job-file line (what --collect reads the batch back from).</summary>
    public static string Jobs(string batchId) => $"timebox:batch:{batchId}:jobs";

    /// <summary>Job id → the Hangfire job that runs it (a rerun enqueues only jobs that have none alive).</summary>
    public static string Enqueued(string batchId) => $"timebox:batch:{batchId}:enqueued";

    /// <summary>Job id → its result lines, one per attempt, each ending with a newline: set once per job, when its run ended.</summary>
    public static string Results(string batchId) => $"timebox:batch:{batchId}:results";
}
