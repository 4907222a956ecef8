namespace Timebox.Hangfire;

/// <summary>How the jobs of a distributed batch run on the workers (the same settings as `timebox batch`'s).</summary>
public sealed class TimeboxBatchOptions
{
    /// <summary>The outcomes a job may be retried on (those of the results schema): "exited" (a non-zero exit), "signaled", "timed_out", "idle_timed_out".</summary>
    public static readonly IReadOnlyList<string> RetryableOutcomes = Timebox.Cli.BatchArguments.RetryableOutcomes;

    /// <summary>The Hangfire queue the jobs go to ("default" by default); workers take jobs from the queues they listen to.</summary>
    public string Queue { get; set; } = "default";

    /// <summary>Attempts after the first, made on the same worker right away, for outcomes in <see cref="RetryOn"/> (0 by default).</summary>
    public int Retries { get; set; }

    /// <summary>The outcomes retried while <see cref="Retries"/> remain; all of <see cref="RetryableOutcomes"/> by default.</summary>
    public IReadOnlyList<string> RetryOn { get; set; } = RetryableOutcomes;

    /// <summary>
    /// Output up to this many bytes per stream goes into the result line (stdout, stderr); larger output is saved on the
    /// worker that ran the job, in its output directory, and the line names that file (stdout_file, stderr_file).
    /// </summary>
    public long InlineLimit { get; set; } = Timebox.Cli.BatchSettings.DefaultInlineLimit;
}
