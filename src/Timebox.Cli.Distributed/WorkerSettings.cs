namespace Timebox.Distributed;

/// <summary>What `timebox worker` was asked to do.</summary>
internal sealed class WorkerSettings
{
    public string Storage { get; set; } = "";

    public int Slots { get; set; } = Environment.ProcessorCount;

    public List<string> Queues { get; } = [];

    public string OutputDirectory { get; set; } = "timebox-worker.output";

    public TimeSpan RequeueAfter { get; set; } = PostgresStorage.DefaultRequeueAfter;

    public TimeSpan PollInterval { get; set; } = PostgresStorage.DefaultPollInterval;

    /// <summary>The server's name in the storage and the dashboard (host:pid by default).</summary>
    public string Name { get; set; } = $"{Environment.MachineName}:{Environment.ProcessId}";

    /// <summary>Where to serve Hangfire's dashboard; null for none.</summary>
    public Uri? Dashboard { get; set; }

    /// <summary>Let the dashboard change things (requeue, delete jobs): read-only by default.</summary>
    public bool DashboardWritable { get; set; }

    /// <summary>Let the dashboard listen on an address other than loopback, and answer any client there.</summary>
    public bool DashboardPublic { get; set; }
}
