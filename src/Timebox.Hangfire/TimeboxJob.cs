using System.Text;
using Hangfire;
using Hangfire.Server;
using Hangfire.Storage;
using Timebox.Cli;

namespace Timebox.Hangfire;

/// <summary>
/// The Hangfire job that runs one job of a distributed batch on the worker that fetched it, with every guarantee of a
/// local run: the job's own deadline, idle timeout and grace period, the termination sequence on its whole process
/// tree, kill-on-parent-exit (a worker that dies takes its runs with it), retries on the same worker. Its result lines
/// (the results schema of `timebox batch`, one per attempt) are stored once per job id in the batch's results hash.
/// </summary>
/// <remarks>
/// Hangfire delivers a job at least once: when a worker dies, its job is fetched again by another worker once the
/// storage's invisibility timeout has passed. A job whose batch already holds its result is not run again, so a
/// batch keeps exactly one result per job id. When the worker shuts down (or the Hangfire job is deleted), the run gets
/// its termination sequence, its canceled attempt is kept as the Hangfire job's "timebox_canceled" parameter, and the
/// job is left for Hangfire to requeue.
/// </remarks>
[AutomaticRetry(Attempts = 3, DelaysInSeconds = [1, 5, 15])]
public sealed class TimeboxJob
{
    private readonly TimeboxWorkerOptions _options;

    /// <summary>A job with the default <see cref="TimeboxWorkerOptions"/> (what Hangfire's default activator creates).</summary>
    public TimeboxJob()
        : this(new TimeboxWorkerOptions())
    {
    }

    /// <summary>A job with the worker's options (through dependency injection, or <see cref="TimeboxJobActivator"/>).</summary>
    public TimeboxJob(TimeboxWorkerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
    }

    /// <summary>Runs the job and records its result lines (Hangfire calls this; enqueue with <see cref="TimeboxBatches"/>).</summary>
    /// <param name="batchId">The batch.</param>
    /// <param name="jobId">The job's id in the batch.</param>
    /// <param name="jobLine">The job: one line of a job file (its id field, if any, is superseded by <paramref name="jobId"/>).</param>
    /// <param name="firstAttempt">The number of its first attempt here (later than 1 when an earlier run of the batch made attempts).</param>
    /// <param name="options">The batch's options.</param>
    /// <param name="context">Hangfire's context (null when enqueued; Hangfire supplies it).</param>
    /// <param name="cancellationToken">Canceled when the worker shuts down or the Hangfire job is deleted (Hangfire supplies it).</param>
    /// <exception cref="FormatException">The line is not a job.</exception>
    /// <exception cref="OperationCanceledException">The run was canceled; Hangfire requeues the job.</exception>
    [JobDisplayName("timebox {0}: {1}")]
    public async Task RunAsync(string batchId, string jobId, string jobLine, int firstAttempt, TimeboxBatchOptions options, PerformContext? context,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(context);
        var connection = context.Connection;
        var resultsKey = BatchKeys.Results(batchId);
        if (AlreadyRecorded(connection, resultsKey, jobId)) return;

        var (jobs, malformed) = JobFile.Parse(Encoding.UTF8.GetBytes(jobLine));
        if (jobs.Count != 1) throw new FormatException($"job {jobId} of batch {batchId} is not a job: {(malformed.Count > 0 ? malformed[0].Reason : "no job on its line")}");
        var settings = new BatchSettings
        {
            InlineLimit = options.InlineLimit,
            Retries = options.Retries,
            RetryOn = new HashSet<string>(options.RetryOn, StringComparer.Ordinal),
            OutputDirectory = Path.Combine(_options.OutputDirectory, ResultLine.SafeName(batchId)),
        };
        var runner = new BatchRunner(new BatchOptions
        {
            MaxParallelism = 1,
            MaxAttempts = Math.Max(settings.Retries + 1, firstAttempt),
            RetryOn = ResumePlan.RetryOutcomes(settings),
        });
        var lines = new StringBuilder();
        var canceled = false;
        var job = new BatchJob(jobId, jobs[0].Command) { FirstAttempt = Math.Max(1, firstAttempt) };
        await foreach (var attempt in runner.RunAsync([job], cancellationToken).ConfigureAwait(false))
        {
            using (attempt.Result)
            {
                lines.Append(Encoding.UTF8.GetString(ResultLine.Build(attempt, settings, [])));
                canceled |= attempt.Result?.Outcome == Outcome.Canceled;
            }
        }
        if (canceled || cancellationToken.IsCancellationRequested)
        {
            // Not this job's result: it did not finish. Kept for the record; Hangfire requeues the job.
            connection.SetJobParameter(context.BackgroundJob.Id, "timebox_canceled", lines.ToString());
            throw new OperationCanceledException($"job {jobId} of batch {batchId} was canceled on worker {context.ServerId}: it will run again", cancellationToken);
        }
        HashWrites.Set(connection, resultsKey, [new KeyValuePair<string, string>(jobId, lines.ToString())]);
    }

    private static bool AlreadyRecorded(IStorageConnection connection, string resultsKey, string jobId) =>
        connection is JobStorageConnection storage
            ? storage.GetValueFromHash(resultsKey, jobId) is not null
            : connection.GetAllEntriesFromHash(resultsKey)?.ContainsKey(jobId) == true;
}
