namespace Timebox.Distributed;

/// <summary>The text of `timebox worker --help`.</summary>
internal static class WorkerHelp
{
    public const string Text = """
        Usage: timebox worker --storage CONN [OPTION]...
        Run the jobs of distributed batches (timebox batch JOBS --storage CONN) that
        wait in the Hangfire storage CONN (a PostgreSQL connection string, such as
        "Host=db.example;Database=jobs;Username=timebox;Password=..."), each with every
        guarantee of a local run: deadline, idle timeout, grace period, whole-tree kill.

        Options:
              --storage=CONN     the PostgreSQL database the batches and workers share
              --slots=N          run at most N jobs at once (default: number of CPUs)
              --queue=NAME       take jobs from queue NAME (repeatable; default: default)
              --output-dir=DIR   where output beyond a batch's --inline-limit is saved,
                                   one directory per batch (default: timebox-worker.output)
              --requeue-after=DURATION  a job whose worker died runs again on another
                                   worker after DURATION (default 30s)
              --poll-interval=DURATION  how often an idle worker looks for jobs (0.2s)
              --name=NAME        this worker's name (default: HOST:PID)
              --dashboard=URL    serve Hangfire's dashboard at URL, such as
                                   http://127.0.0.1:8080; read-only, loopback only
              --dashboard-writable  let the dashboard requeue and delete jobs
              --dashboard-public    serve it on a non-loopback address, to anyone
              --help             display this help and exit

        TERM, INT or HUP stops gracefully: no new job is taken, running jobs get the
        termination sequence and go back to the queue for another worker; a second
        one exits at once. Running jobs die with the worker however it ends.

        Exit status: 0 after a graceful stop, 125 when the worker cannot start (bad
        option, unreachable storage, dashboard address taken).

        """;
}
