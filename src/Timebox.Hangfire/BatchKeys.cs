namespace Timebox.Hangfire;

/// <summary>
/// Where a distributed batch lives in the Hangfire storage, besides its Hangfire jobs: four hashes under
/// "timebox:batch:ID". They use the storage's own API, so any Hangfire storage holds them.
/// </summary>
internal static class BatchKeys
{
    /// <summary>The batch's settings: queue, retries, retry_on, inline_limit, total, created_at.</summary>
    public static string Meta(string batchId) => $"timebox:batch:{batchId}";

    /// <summary>Job id → its job-file line (what --collect reads the batch back from).</summary>
    public static string Jobs(string batchId) => $"timebox:batch:{batchId}:jobs";

    /// <summary>Job id → the Hangfire job that runs it (a rerun enqueues only jobs that have none alive).</summary>
    public static string Enqueued(string batchId) => $"timebox:batch:{batchId}:enqueued";

    /// <summary>Job id → its result lines, one per attempt, each ending with a newline: set once per job, when its run ended.</summary>
    public static string Results(string batchId) => $"timebox:batch:{batchId}:results";
}
