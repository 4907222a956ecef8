using Hangfire;
using Timebox.Cli;
using Timebox.Hangfire;

namespace Timebox.Distributed;

/// <summary>
/// `timebox worker --storage CONN`: a Hangfire server that runs the Timebox jobs of its queues, at most --slots at
/// once. The first SIGTERM, SIGINT or SIGHUP stops it gracefully: no new job is fetched, the runs in flight get their
/// termination sequence, their canceled attempts are recorded on their Hangfire jobs, and the jobs go back to the
/// queue for another worker. A second one exits at once. Every run dies with the worker however it ends (the jobs are
/// killed on parent exit), and a dead worker's jobs are fetched again by others after --requeue-after.
/// </summary>
internal static class WorkerCommand
{
    /// <summary>How long a graceful stop waits for the runs in flight to end their termination sequence.</summary>
    private static readonly TimeSpan ShutdownTimeout = TimeSpan.FromMinutes(2);

    public static int Run(string[] args, InheritedSignals inherited)
    {
        WorkerSettings settings;
        try
        {
            if (WorkerArguments.Parse(args, out settings) == WorkerArguments.Request.Help) return Messages.Out(WorkerHelp.Text) ? 0 : Cli.Cli.FailedStatus;
        }
        catch (UsageException exception)
        {
            if (exception.Diagnostic is { } diagnostic) Messages.Error(diagnostic);
            Descriptors.WriteAll(2, "Try 'timebox worker --help' for more information.\n"u8);
            return Cli.Cli.FailedStatus;
        }
        return Program.WithStorage(settings.Storage, settings.RequeueAfter, settings.PollInterval, "worker", storage => Serve(settings, storage, inherited));
    }

    private static int Serve(WorkerSettings settings, JobStorage storage, InheritedSignals inherited)
    {
        var outputDirectory = Path.GetFullPath(settings.OutputDirectory);
        using var stop = new ManualResetEventSlim();
        // A second signal: out at once; the runs die with this process (kill-on-parent-exit).
        using var signals = new BatchSignals(inherited, first: _ => stop.Set(), again: signal => Environment.Exit(128 + signal));
        Dashboard? dashboard = null;
        try
        {
            if (settings.Dashboard is { } url) dashboard = Dashboard.Start(url, storage, settings.DashboardWritable, settings.DashboardPublic);
        }
        catch (IOException exception)
        {
            Messages.Error($"worker: cannot serve the dashboard: {PostgresStorage.Words(exception)}");
            return Cli.Cli.FailedStatus;
        }
        GlobalJobFilters.Filters.Add(new CanceledRunNotice(settings.Name));
        using (dashboard)
        {
            using var server = new BackgroundJobServer(new BackgroundJobServerOptions
            {
                ServerName = settings.Name,
                WorkerCount = settings.Slots,
                Queues = [.. settings.Queues],
                Activator = new TimeboxJobActivator(new TimeboxWorkerOptions { OutputDirectory = outputDirectory }),
                // The heartbeat stays well below the server timeout, so a live but busy worker is never taken for dead.
                HeartbeatInterval = TimeSpan.FromSeconds(5),
                ServerTimeout = TimeSpan.FromMinutes(1),
                ServerCheckInterval = TimeSpan.FromSeconds(15),
                ShutdownTimeout = ShutdownTimeout,
                // A deleted Hangfire job's run gets its termination sequence within a second.
                CancellationCheckInterval = TimeSpan.FromSeconds(1),
            }, storage);
            Messages.Error($"worker {settings.Name}: running at most {TextFormat.Number(settings.Slots)} {(settings.Slots == 1 ? "job" : "jobs")} at once from queue {string.Join(", ", settings.Queues)}" +
                $" of {PostgresStorage.Describe(settings.Storage)}{(dashboard is null ? "" : $"; dashboard at {dashboard.Address}")}");
            stop.Wait();
            Messages.Error($"worker {settings.Name}: stopping: running jobs get their termination sequence and go back to the queue");
            server.SendStop();
        }
        Messages.Error($"worker {settings.Name}: stopped");
        return 0;
    }
}
