namespace Timebox.Cli;

/// <summary>How the progress of a batch is shown on stdout.</summary>
internal enum ProgressMode { Auto, Live, Plain, None }

/// <summary>What `timebox batch` was asked to do.</summary>
internal sealed class BatchSettings
{
    public const long DefaultInlineLimit = 16 * 1024;

    /// <summary>The job file, or "-" for standard input.</summary>
    public string JobsPath { get; set; } = "";

    public int Parallelism { get; set; } = Environment.ProcessorCount;

    public string? ResultsPath { get; set; }

    public string? HtmlPath { get; set; }

    public string? OutputDirectory { get; set; }

    /// <summary>Output up to this many bytes per stream goes into the result line; larger output goes to a file.</summary>
    public long InlineLimit { get; set; } = DefaultInlineLimit;

    /// <summary>Attempts after the first, for outcomes in <see cref="RetryOn"/>.</summary>
    public int Retries { get; set; }

    public IReadOnlySet<string> RetryOn { get; set; } = new HashSet<string>(BatchArguments.RetryableOutcomes, StringComparer.Ordinal);

    public bool FailFast { get; set; }

    /// <summary>Refuse a job file with any malformed line before running anything (instead of skipping those lines).</summary>
    public bool Strict { get; set; }

    /// <summary>The deadline of the whole batch; null for none.</summary>
    public TimeSpan? BatchTimeout { get; set; }

    public ProgressMode Progress { get; set; } = ProgressMode.Auto;

    /// <summary>The Hangfire storage (a PostgreSQL connection string) of the distributed mode; null to run here.</summary>
    public string? Storage { get; set; }

    /// <summary>The Hangfire queue the distributed batch's jobs go to (workers listen to theirs with --queue).</summary>
    public string Queue { get; set; } = "default";

    /// <summary>Enqueue (or, with --collect, gather what is there) and exit without waiting for the workers.</summary>
    public bool NoWait { get; set; }

    /// <summary>--collect: the batch whose results to gather (no job file then).</summary>
    public string? CollectId { get; set; }

    /// <summary>--batch-id: the distributed batch's id, instead of one derived from the job file and the results file.</summary>
    public string? BatchId { get; set; }

    /// <summary>The results file: --results, or JOBS with its .jsonl (or other) extension replaced by .results.jsonl.</summary>
    public string EffectiveResultsPath => ResultsPath ?? DefaultSibling(JobsPath, ".results.jsonl");

    /// <summary>Where output too large to inline goes: --output-dir, or RESULTS with .jsonl replaced by .output.</summary>
    public string EffectiveOutputDirectory => OutputDirectory ?? DefaultSibling(EffectiveResultsPath, ".output");

    private static string DefaultSibling(string path, string suffix)
    {
        var directory = Path.GetDirectoryName(path) ?? "";
        var name = Path.GetFileName(path);
        var stem = name.EndsWith(".jsonl", StringComparison.Ordinal) ? name[..^6] : Path.GetFileNameWithoutExtension(name);
        return Path.Combine(directory, stem + suffix);
    }
}
