namespace Timebox.Hangfire;

/// <summary>What a worker needs to run <see cref="TimeboxJob"/>s that the job itself does not say.</summary>
public sealed class TimeboxWorkerOptions
{
    /// <summary>
    /// Where output beyond a batch's inline limit is saved on this worker, one directory per batch (by default
    /// "timebox-worker.output" in the worker's working directory). Result lines name these files by their full path on
    /// this machine: put it on a shared file system to read them from anywhere.
    /// </summary>
    public string OutputDirectory { get; set; } = Path.GetFullPath("timebox-worker.output");
}
