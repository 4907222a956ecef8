using System.Collections.Concurrent;
using System.Globalization;
using Hangfire;
using Hangfire.Common;
using Hangfire.States;
using Hangfire.Storage;

namespace Timebox.Hangfire;

/// <summary>
/// Enqueues the jobs of a distributed batch into a Hangfire storage and reads their results back: the client side of
/// `timebox batch --storage`, for a .NET service of one's own. Any Hangfire server whose storage is the same and which
/// listens to the batch's queue runs them (`timebox worker`, or a service that hosts a Hangfire server with
/// <see cref="TimeboxJobActivator"/> or its own dependency injection).
/// </summary>
public static class TimeboxBatches
{
    /// <summary>The Hangfire states in which a job will still run (or is running): such a job is not enqueued again.</summary>
    /// <summary>How many connections make Hangfire jobs at once while enqueueing.</summary>
    private const int EnqueueConnections = 8;

    private static readonly string[] AliveStates = [EnqueuedState.StateName, ProcessingState.StateName, ScheduledState.StateName, AwaitingState.StateName];

    /// <summary>
    /// Records the batch (its job lines, for <see cref="GetJobs"/>) and enqueues each job that has neither a
    /// result in the batch nor a Hangfire job that is still enqueued, scheduled or running: enqueueing the same batch
    /// again resumes it and never runs a finished job again.
    /// </summary>
    /// <param name="storage">The Hangfire storage the workers use.</param>
    /// <param name="batchId">The batch's id (letters, digits, '.', '_', '-').</param>
    /// <param name="jobs">Its jobs; ids must be unique.</param>
    /// <param name="options">How they run.</param>
    /// <exception cref="ArgumentException">Two jobs share an id.</exception>
    public static TimeboxEnqueueSummary Enqueue(JobStorage storage, string batchId, IEnumerable<TimeboxBatchJob> jobs, TimeboxBatchOptions options)
    {
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentException.ThrowIfNullOrEmpty(batchId);
        ArgumentNullException.ThrowIfNull(jobs);
        ArgumentNullException.ThrowIfNull(options);
        var all = jobs.ToList();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var job in all)
            if (!ids.Add(job.Id)) throw new ArgumentException($"two jobs have the id {job.Id}", nameof(jobs));

        using var connection = storage.GetConnection();
        HashWrites.Set(connection, BatchKeys.Jobs(batchId), all.Select(job => new KeyValuePair<string, string>(job.Id, job.JobLine)));

        var results = connection.GetAllEntriesFromHash(BatchKeys.Results(batchId)) ?? [];
        var enqueued = connection.GetAllEntriesFromHash(BatchKeys.Enqueued(batchId)) ?? [];
        var toEnqueue = new List<TimeboxBatchJob>();
        int done = 0, queued = 0;
        foreach (var job in all)
        {
            if (results.ContainsKey(job.Id)) done++;
            else if (enqueued.TryGetValue(job.Id, out var hangfireId) && IsAlive(connection, hangfireId)) queued++;
            else toEnqueue.Add(job);
        }

        // Hangfire makes each job in transactions of its own: a few connections make them at once, each on a thread of
        // its own (on the thread pool, these blocking calls starved it: 300 jobs took 7.3 s, 2.0 s with more threads).
        var client = new BackgroundJobClient(storage);
        var created = new ConcurrentBag<KeyValuePair<string, string>>();
        var next = new ConcurrentQueue<TimeboxBatchJob>(toEnqueue);
        var failures = new ConcurrentQueue<Exception>();
        var makers = Enumerable.Range(0, Math.Min(EnqueueConnections, toEnqueue.Count)).Select(_ => new Thread(() =>
        {
            try
            {
                while (failures.IsEmpty && next.TryDequeue(out var job))
                {
                    var id = client.Create(
                        Job.FromExpression<TimeboxJob>(run => run.RunAsync(batchId, job.Id, job.JobLine, job.FirstAttempt, options, null, CancellationToken.None)),
                        new EnqueuedState(options.Queue));
                    created.Add(new KeyValuePair<string, string>(job.Id, id));
                }
            }
#pragma warning disable CA1031 // rethrown below, on the caller's thread, once every maker has stopped
            catch (Exception exception)
#pragma warning restore CA1031
            {
                failures.Enqueue(exception);
            }
        }) { IsBackground = true, Name = "Timebox enqueue" }).ToList();
        makers.ForEach(thread => thread.Start());
        makers.ForEach(thread => thread.Join());
        // Whatever was created is recorded, so that a rerun after a failure part way enqueues only the rest.
        HashWrites.Set(connection, BatchKeys.Enqueued(batchId), created);
        if (failures.TryDequeue(out var failure)) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        return new TimeboxEnqueueSummary(toEnqueue.Count, queued, done);
    }

    /// <summary>The results the batch holds: job id → its result lines (one per attempt, each ending with a newline, in the results schema).</summary>
    public static IReadOnlyDictionary<string, string> GetResults(JobStorage storage, string batchId) => Hash(storage, BatchKeys.Results(batchId));

    /// <summary>The batch's jobs as they were enqueued: job id → its job-file line (empty for a batch the storage does not know).</summary>
    public static IReadOnlyDictionary<string, string> GetJobs(JobStorage storage, string batchId) => Hash(storage, BatchKeys.Jobs(batchId));

    /// <summary>How many jobs of the batch have their result: a cheap poll before <see cref="GetResults"/>, where the storage can count.</summary>
    public static long CountResults(JobStorage storage, string batchId)
    {
        ArgumentNullException.ThrowIfNull(storage);
        using var connection = storage.GetConnection();
        return CountResults(connection, batchId);
    }

    /// <summary>
    /// The jobs among <paramref name="jobIds"/> that have no result and will not get one, each with why: their Hangfire
    /// job failed for good, was deleted or is gone, or they were never enqueued. Enqueueing the batch again runs them.
    /// </summary>
    public static IReadOnlyDictionary<string, string> GetLostJobs(JobStorage storage, string batchId, IEnumerable<string> jobIds)
    {
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentNullException.ThrowIfNull(jobIds);
        using var connection = storage.GetConnection();
        var results = connection.GetAllEntriesFromHash(BatchKeys.Results(batchId)) ?? [];
        return LostAmong(connection, batchId, jobIds.Where(jobId => !results.ContainsKey(jobId)));
    }

    /// <summary>
    /// Lets the batch's records (its jobs, results and Hangfire job ids) expire after <paramref name="keep"/>, for the
    /// storage's expiration manager to remove; `timebox batch` does this with 7 days once it has gathered every result.
    /// Does nothing on a storage that cannot expire hashes.
    /// </summary>
    public static void Expire(JobStorage storage, string batchId, TimeSpan keep)
    {
        ArgumentNullException.ThrowIfNull(storage);
        using var connection = storage.GetConnection();
        using var transaction = connection.CreateWriteTransaction();
        if (transaction is not JobStorageTransaction expiring) return;
        foreach (var key in new[] { BatchKeys.Jobs(batchId), BatchKeys.Enqueued(batchId), BatchKeys.Results(batchId) })
            expiring.ExpireHash(key, keep);
        transaction.Commit();
    }

    internal static long CountResults(IStorageConnection connection, string batchId) =>
        connection is JobStorageConnection counting ? counting.GetHashCount(BatchKeys.Results(batchId)) : (connection.GetAllEntriesFromHash(BatchKeys.Results(batchId))?.Count ?? 0);

    /// <summary>Which of <paramref name="withoutResult"/> (jobs that had no result when last read) will not get one, and why.</summary>
    internal static Dictionary<string, string> LostAmong(IStorageConnection connection, string batchId, IEnumerable<string> withoutResult)
    {
        var enqueued = connection.GetAllEntriesFromHash(BatchKeys.Enqueued(batchId)) ?? [];
        var lost = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var jobId in withoutResult)
        {
            if (!enqueued.TryGetValue(jobId, out var hangfireId))
            {
                lost[jobId] = "it was never enqueued (its client stopped while enqueueing)";
                continue;
            }
            var state = connection.GetStateData(hangfireId);
            if (IsAlive(state?.Name) || state?.Name == SucceededState.StateName) continue;
            var reason = state?.Data is { } data && data.TryGetValue("ExceptionMessage", out var message) ? message : state?.Reason ?? "gone from the storage";
            lost[jobId] = $"Hangfire job {hangfireId} is {state?.Name?.ToLowerInvariant() ?? "missing"}: {reason}";
        }
        return lost;
    }

    private static bool IsAlive(string? stateName) => stateName is not null && AliveStates.Contains(stateName, StringComparer.OrdinalIgnoreCase);

    private static bool IsAlive(IStorageConnection connection, string hangfireId) => IsAlive(connection.GetStateData(hangfireId)?.Name);

    private static Dictionary<string, string> Hash(JobStorage storage, string key)
    {
        ArgumentNullException.ThrowIfNull(storage);
        using var connection = storage.GetConnection();
        return connection.GetAllEntriesFromHash(key) ?? [];
    }
}
