using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Hangfire;
using Hangfire.Storage;
using Timebox.Cli;

namespace Timebox.Hangfire;

/// <summary>
/// `timebox batch JOBS --storage CONN` (and `--collect ID`): enqueues the jobs the results file does not record yet,
/// then gathers their results from the storage as the workers record them, appending each job's lines to the same
/// results file with the same progress, summary and HTML report as the local mode. Stopping it (Ctrl-C) stops only the
/// waiting: the jobs go on on the workers, and the same command (or --collect) gathers them later.
/// </summary>
internal static class DistributedBatch
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan StateCheckInterval = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan RunningRefreshInterval = TimeSpan.FromSeconds(1);

    /// <summary>The pause before the next whole read of the results, per entry the last one returned: 2,000 entries, 0.1 s.</summary>
    private static readonly TimeSpan EntryReadCost = TimeSpan.FromTicks(500);

    /// <summary>How long a complete batch's records stay in the storage (for --collect and reruns) before they expire.</summary>
    public static readonly TimeSpan KeepComplete = TimeSpan.FromDays(7);

    public static int Run(BatchSettings settings, InheritedSignals inherited, JobStorage storage)
    {
        string batchId, jobsName;
        List<JobLine> jobs;
        var malformed = 0;
        if (settings.CollectId is { } collected)
        {
            batchId = collected;
            jobsName = $"batch {collected}";
            if (StoredJobs(storage, collected) is not { } stored) return Cli.Cli.FailedStatus;
            jobs = stored;
        }
        else
        {
            if (BatchCommand.ReadJobs(settings) is not { } read) return Cli.Cli.FailedStatus;
            (jobs, var bad, jobsName) = read;
            malformed = bad.Count;
            batchId = settings.BatchId ?? DerivedId(settings, jobs);
        }
        if (BatchFiles.Open(settings) is not { } files) return Cli.Cli.FailedStatus;
        using var opened = files;

        var (toRun, alreadyDone, alreadyFailed) = ResumePlan.Make(jobs, files.Results.Recorded, settings);
        if (settings.CollectId is null)
        {
            var options = new TimeboxBatchOptions { Queue = settings.Queue, Retries = settings.Retries, RetryOn = [.. settings.RetryOn], InlineLimit = settings.InlineLimit };
            var summary = TimeboxBatches.Enqueue(storage, batchId,
                toRun.Select(job => new TimeboxBatchJob(job.Id, ((JobLine)job.State!).Text) { FirstAttempt = job.FirstAttempt }), options);
            Messages.Error($"batch {batchId}: {TextFormat.Number(summary.Enqueued)} jobs enqueued on queue {Quoting.Quote(settings.Queue)}" +
                $" ({TextFormat.Number(summary.AlreadyQueued)} already queued, {TextFormat.Number(summary.AlreadyDone)} already done on the workers)");
        }
        if (settings.NoWait && settings.CollectId is null)
        {
            Messages.Error($"batch {batchId}: not waiting; gather the results with: {CollectCommand(batchId, files.ResultsPath)}");
            return 0;
        }

        var slots = WorkerSlots(storage, settings.Queue);
        if (slots == 0) Messages.Error($"batch {batchId}: no worker listens to queue {Quoting.Quote(settings.Queue)} yet: start some with timebox worker --storage CONN --queue {settings.Queue}");
        var tally = new BatchTally(toRun.Count, alreadyDone, malformed, slots);
        var gathering = new Gathering(storage, batchId, toRun, files.Results, tally);
        using var stop = new CancellationTokenSource();
        int status;
        using (var view = ProgressView.Create(settings.Progress, tally, () => gathering.Running))
        using (var signals = new BatchSignals(inherited, first: _ => stop.Cancel(), again: _ => stop.Cancel()))
        {
            gathering.View = view;
            var complete = gathering.Run(settings.NoWait, stop.Token);
            view.End();
            var reportWritten = files.Finish(tally, jobsName, view.UsesColor);
            if (complete) gathering.Expire();
            else if (gathering.Lost > 0)
                Messages.Error($"batch {batchId}: {TextFormat.Number(gathering.Lost)} jobs will not run (said above): run the same command again to enqueue them again");
            if (gathering.Pending > gathering.Lost && !gathering.WriteFailed)
                Messages.Error($"batch {batchId}: {TextFormat.Number(gathering.Pending - gathering.Lost)} jobs have no result yet: they go on on the workers; gather them with: {CollectCommand(batchId, files.ResultsPath)}");
            var allSucceeded = alreadyFailed == 0 && malformed == 0 && complete && gathering.AllSucceeded;
            status = signals.First is var signal and > 0 ? 128 + signal
                : gathering.WriteFailed || !reportWritten ? Cli.Cli.FailedStatus
                : allSucceeded ? 0 : BatchCommand.SomeFailedStatus;
        }
        return status;
    }

    private static string CollectCommand(string batchId, string resultsPath) =>
        $"timebox batch --collect {batchId} --storage CONN --results {Quoting.Quote(resultsPath)}";

    /// <summary>The jobs a batch was enqueued with, for --collect; null when the storage holds none (said on stderr).</summary>
    private static List<JobLine>? StoredJobs(JobStorage storage, string batchId)
    {
        var stored = TimeboxBatches.GetJobs(storage, batchId);
        if (stored.Count == 0)
        {
            Messages.Error($"batch: the storage holds no batch {Quoting.Quote(batchId)} (never enqueued there, or expired)");
            return null;
        }
        var jobs = new List<JobLine>(stored.Count);
        foreach (var (id, text) in stored.OrderBy(entry => entry.Key, StringComparer.Ordinal))
        {
            var (parsed, _) = JobFile.Parse(Encoding.UTF8.GetBytes(text));
            if (parsed.Count == 1) jobs.Add(parsed[0] with { Id = id });
            else Messages.Error($"batch {batchId}: job {Quoting.Quote(id)} in the storage is not a job: skipped");
        }
        return jobs;
    }

    /// <summary>The same batch for the same command: a hash of the results file's full path and of the jobs.</summary>
    private static string DerivedId(BatchSettings settings, List<JobLine> jobs)
    {
        var identity = new StringBuilder(Path.GetFullPath(settings.EffectiveResultsPath)).Append('\n');
        foreach (var job in jobs) identity.Append(job.Id).Append('\t').Append(job.Text).Append('\n');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity.ToString())))[..16];
    }

    /// <summary>How many jobs the workers listening to <paramref name="queue"/> run at once, in all.</summary>
    private static int WorkerSlots(JobStorage storage, string queue) =>
        storage.GetMonitoringApi().Servers().Where(server => server.Queues.Contains(queue, StringComparer.Ordinal)).Sum(server => server.WorkersCount);

    /// <summary>The wait for a batch's results: polls the storage, records each job's lines once, spots jobs Hangfire gave up on.</summary>
    private sealed class Gathering(JobStorage storage, string batchId, List<BatchJob> toRun, ResultsFile results, BatchTally tally)
    {
        private readonly Dictionary<string, BatchJob> _pending = toRun.ToDictionary(job => job.Id, StringComparer.Ordinal);
        private readonly TimelineLanes _lanes = new();
        private IReadOnlyList<RunningBatchJob> _running = [];

        public ProgressView? View { get; set; }

        public int Pending => _pending.Count;

        /// <summary>Jobs without a result that will not get one: their Hangfire job failed for good, was deleted, or was never made.</summary>
        public int Lost => _reported.Count(_pending.ContainsKey);

        public bool AllSucceeded { get; private set; } = true;

        public bool WriteFailed { get; private set; }

        public IReadOnlyList<RunningBatchJob> Running => Volatile.Read(ref _running);

        /// <summary>Gathers until every job has its result (true), or Hangfire gave up on some, or the wait was stopped (false).</summary>
        public bool Run(bool once, CancellationToken stop)
        {
            using var connection = storage.GetConnection();
            var seen = -1L;
            var lost = 0;
            var lastCheck = Stopwatch.GetTimestamp();
            var lastRefresh = 0L;
            var lastRead = 0L;
            var readEvery = TimeSpan.Zero;
            while (_pending.Count > lost && !WriteFailed)
            {
                var count = TimeboxBatches.CountResults(connection, batchId);
                // Hangfire's API reads a hash whole: the gaps between reads grow with it, so gathering a huge batch
                // costs a bounded rate of entries read, not the square of its size.
                if (count != seen && Stopwatch.GetElapsedTime(lastRead) >= readEvery)
                {
                    seen = count;
                    var results = connection.GetAllEntriesFromHash(BatchKeys.Results(batchId)) ?? [];
                    foreach (var (jobId, lines) in results)
                    {
                        if (WriteFailed) break;
                        if (_pending.TryGetValue(jobId, out var job) && Record(job, lines)) _pending.Remove(jobId);
                    }
                    lastRead = Stopwatch.GetTimestamp();
                    readEvery = results.Count * EntryReadCost;
                }
                if (once || _pending.Count == 0) break;
                if (Stopwatch.GetElapsedTime(lastCheck) >= StateCheckInterval)
                {
                    lost = CountLost(connection);
                    lastCheck = Stopwatch.GetTimestamp();
                }
                if (Stopwatch.GetElapsedTime(lastRefresh) >= RunningRefreshInterval)
                {
                    Volatile.Write(ref _running, RunningNow());
                    lastRefresh = Stopwatch.GetTimestamp();
                }
                if (stop.WaitHandle.WaitOne(PollInterval)) break;
            }
            if (lost > 0) AllSucceeded = false;
            return _pending.Count == 0;
        }

        public void Expire() => TimeboxBatches.Expire(storage, batchId, KeepComplete);

        /// <summary>
        /// Appends the job's lines in one write (all its attempts or none: a failed write is cut back whole); false when
        /// the results file cannot take them (said once; the gathering stops).
        /// </summary>
        private bool Record(BatchJob job, string lines)
        {
            var all = lines.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            try
            {
                results.Append(Encoding.UTF8.GetBytes(string.Concat(all.Select(line => line + "\n"))));
            }
            catch (IOException exception)
            {
                View?.Notice($"batch: cannot write results: {SystemError.Words(exception)}; stopping (the storage keeps the results: a rerun gathers them)");
                WriteFailed = true;
                return false;
            }
            for (var i = 0; i < all.Length; i++)
            {
                var record = tally.Add(AttemptOf(job, all[i], willRetry: i < all.Length - 1));
                if (i == all.Length - 1 && record.Class != BatchTally.Succeeded) AllSucceeded = false;
                View?.OnAttempt(record);
            }
            return true;
        }

        /// <summary>The attempt a result line records, as the views show it (its lane in the timeline given here).</summary>
        private AttemptRecord AttemptOf(BatchJob job, string line, bool willRetry)
        {
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            var outcome = root.GetProperty("outcome").GetString() ?? "";
            int? exitCode = root.GetProperty("exit_code").ValueKind == JsonValueKind.Number ? root.GetProperty("exit_code").GetInt32() : null;
            int? signal = root.GetProperty("signal").ValueKind == JsonValueKind.Number ? root.GetProperty("signal").GetInt32() : null;
            var startedAt = root.GetProperty("started_at").GetDateTimeOffset();
            var duration = TimeSpan.FromMilliseconds(root.GetProperty("duration_ms").GetDouble());
            Outcome? ended = ReportOutcome.TryParse(outcome, out var parsed) ? parsed : null;
            var status = BatchTally.StatusOf(exitCode, signal, root.GetProperty("error").GetString()) ?? "could not start";
            return new AttemptRecord(job.Id, root.GetProperty("attempt").GetInt32(), _lanes.Take(startedAt, duration), BatchTally.ClassOf(ended, exitCode),
                startedAt, duration, status, job.Command.ToString(), willRetry);
        }

        /// <summary>
        /// Jobs whose Hangfire job failed for good or is gone: said once each; they stay without a result (a rerun
        /// enqueues them again). A state is read per job, so each check looks at the next few hundred pending jobs only:
        /// a lost job of a huge batch is found within a few checks, at a bounded cost per check.
        /// </summary>
        private int CountLost(IStorageConnection connection)
        {
            var pending = _pending.Keys.Order(StringComparer.Ordinal).ToList();
            _lostCursor = _lostCursor < pending.Count ? _lostCursor : 0;
            var window = pending.Skip(_lostCursor).Take(LostCheckWindow);
            _lostCursor += LostCheckWindow;
            foreach (var (jobId, why) in TimeboxBatches.LostAmong(connection, batchId, window))
                if (_reported.Add(jobId)) View?.Notice($"batch: job {SummaryTable.Printable(jobId)} will not run: {why}");
            return Lost;
        }

        private const int LostCheckWindow = 250;
        private int _lostCursor;

        private readonly HashSet<string> _reported = new(StringComparer.Ordinal);

        /// <summary>This batch's jobs that workers run now, longest-running first.</summary>
        private List<RunningBatchJob> RunningNow()
        {
            var now = DateTime.UtcNow;
            return [.. storage.GetMonitoringApi().ProcessingJobs(0, 1000)
                .Select(entry => entry.Value)
                .Where(processing => processing.Job?.Args is { Count: > 1 } args && args[0] as string == batchId && args[1] is string jobId && _pending.ContainsKey(jobId))
                .Select(processing => new RunningBatchJob(_pending[(string)processing.Job.Args[1]], 1, 0, 0, processing.StartedAt ?? now,
                    now - (processing.StartedAt ?? now)))
                .OrderByDescending(running => running.Elapsed)];
        }
    }
}
