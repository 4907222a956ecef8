using System.Runtime.InteropServices;
using System.Text.Json;
using Hangfire;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;
using Npgsql;
using Timebox.Hangfire;

// Usage: Timebox.Samples.HangfireService [CONNECTION_STRING]
// A service of one's own that runs Timebox jobs through Hangfire and PostgreSQL: it hosts a Hangfire server that runs
// them, enqueues a small batch, waits for each job's result and prints it. The connection string (Npgsql's) is the
// argument, or else the TIMEBOX_SAMPLE_STORAGE variable. Exit status: 0 when every job has its result, 1 when the
// storage failed or the results did not all come within 2 minutes, 2 for bad usage.

var connectionString = args.Length == 1 ? args[0] : Environment.GetEnvironmentVariable("TIMEBOX_SAMPLE_STORAGE");
if (args.Length > 1 || string.IsNullOrEmpty(connectionString))
{
    Console.Error.WriteLine("usage: Timebox.Samples.HangfireService CONNECTION_STRING (or set TIMEBOX_SAMPLE_STORAGE)");
    return 2;
}

// Each job is one line of a `timebox batch` job file (command or shell, deadline, idle timeout, …), which is what
// travels to the workers; ForCommand and ForShell write it.
TimeboxBatchJob[] jobs =
[
    TimeboxBatchJob.ForCommand("greets", ["echo", "hello from a worker"]),
    TimeboxBatchJob.ForShell("fails", "echo 'no such input' >&2; exit 3"),
    // At its deadline the job's whole process tree is stopped, the background sleep included.
    TimeboxBatchJob.ForShell("hangs", "sleep 60 & sleep 60", timeout: TimeSpan.FromSeconds(1)),
    TimeboxBatchJob.ForShell("stalls", "echo starting; sleep 60", idleTimeout: TimeSpan.FromSeconds(1)),
];

// Waiting ends at this sample's own deadline, or on SIGTERM or Ctrl-C; then the server stops gracefully (below).
using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(2));
Action<PosixSignalContext> stopWaiting = signal =>
{
    signal.Cancel = true;
    stop.Cancel();
};
using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, stopWaiting);
using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, stopWaiting);

try
{
    var storageOptions = new PostgreSqlStorageOptions
    {
        // A running job's row is refreshed every InvisibilityTimeout / 5, so a long job is never taken for abandoned;
        // the jobs of a server that died are fetched again by another one after InvisibilityTimeout.
        UseSlidingInvisibilityTimeout = true,
        InvisibilityTimeout = TimeSpan.FromSeconds(30),
        // How often an idle worker looks for a job (Hangfire.PostgreSql's default is 15 s).
        QueuePollInterval = TimeSpan.FromMilliseconds(200),
        // A server killed while holding one of Hangfire's locks holds it no longer than this.
        DistributedLockTimeout = TimeSpan.FromSeconds(30),
        // Fail at once, in the server's words, rather than retry for minutes or start without a storage.
        StartupConnectionMaxRetries = 0,
        AllowDegradedModeWithoutStorage = false,
    };
    // Installs Hangfire's schema ("hangfire") on first use; `timebox worker` and `timebox batch --storage` use the same.
    var storage = new PostgreSqlStorage(new NpgsqlConnectionFactory(connectionString, storageOptions), storageOptions);

    using (new BackgroundJobServer(new BackgroundJobServerOptions
    {
        WorkerCount = 3,   // at most three jobs run at once in this process
        Activator = new TimeboxJobActivator(new TimeboxWorkerOptions { OutputDirectory = Path.GetFullPath("timebox-output") }),
        // The heartbeat stays well below the server timeout, so a busy server is never taken for dead.
        HeartbeatInterval = TimeSpan.FromSeconds(5),
        ServerTimeout = TimeSpan.FromMinutes(1),
        // A Hangfire job deleted (from the dashboard) while it runs has its run stopped within a second.
        CancellationCheckInterval = TimeSpan.FromSeconds(1),
    }, storage))
    {
        // Any Hangfire server on this storage that listens to the batch's queue ("default") runs its jobs: this one,
        // other instances of it, `timebox worker`s.
        // Enqueueing the same batch id again resumes it: a job with a result is never run again.
        var batchId = $"sample-{Guid.NewGuid():N}";
        var enqueued = TimeboxBatches.Enqueue(storage, batchId, jobs, new TimeboxBatchOptions());
        Console.WriteLine($"batch {batchId}: {enqueued.Enqueued} jobs enqueued");

        // A job's result is stored once, when its run ends; the job of a server that died runs again on another. Wait
        // for all, polling the cheap count, unless some job will never get one (its Hangfire job failed for good or
        // was deleted: enqueueing the batch again would run it).
        IReadOnlyDictionary<string, string> lost = new Dictionary<string, string>();
        while (TimeboxBatches.CountResults(storage, batchId) < jobs.Length - lost.Count && !stop.Token.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(200)))
            lost = TimeboxBatches.GetLostJobs(storage, batchId, jobs.Select(job => job.Id));
        var results = TimeboxBatches.GetResults(storage, batchId);

        foreach (var job in jobs)
        {
            if (!results.TryGetValue(job.Id, out var lines))
            {
                Console.WriteLine(lost.TryGetValue(job.Id, out var why) ? $"{job.Id,-7} will not run: {why}" : $"{job.Id,-7} no result yet (it stays enqueued for any server)");
                continue;
            }
            // One line per attempt, in the results schema of `timebox batch`; the last one is the job's outcome.
            using var result = JsonDocument.Parse(lines.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]);
            var root = result.RootElement;
            var output = $"{root.GetProperty("stdout").GetString()}{root.GetProperty("stderr").GetString()}".Trim();
            Console.WriteLine($"{job.Id,-7} {root.GetProperty("outcome").GetString(),-14} exit status {root.GetProperty("exit_status").GetInt32(),-3} {output}".TrimEnd());
        }
        if (results.Count < jobs.Length) return 1;
    }   // disposing the server stops it gracefully: a run still going gets its termination sequence and is requeued
    return 0;
}
catch (Exception e) when (e is NpgsqlException or ArgumentException)   // unreachable, refused, or a malformed connection string
{
    Console.Error.WriteLine($"hangfire-service: the storage failed: {e.Message}{(e.InnerException is { } cause ? $": {cause.Message}" : "")}");
    return 1;
}
