using System.Globalization;

namespace Timebox.Cli;

/// <summary>
/// Parses `timebox batch JOBS [OPTION]...`. Unlike <see cref="TimeoutArguments"/>, options may come before or after the job
/// file (GNU getopt's default, permuting order): nothing here is passed on to a command.
/// </summary>
internal static class BatchArguments
{
    public enum Request { Run, Help }

    /// <summary>The outcome names --retry-on accepts (those of the report schema a job can retry); "exited" means a non-zero exit.</summary>
    public static readonly string[] RetryableOutcomes = [ReportOutcome.Exited, ReportOutcome.Signaled, ReportOutcome.TimedOut, ReportOutcome.IdleTimedOut];

    private static readonly OptionSpec Jobs = new("jobs", 'j', TakesValue: true);
    private static readonly OptionSpec Results = new("results", null, TakesValue: true);
    private static readonly OptionSpec Html = new("html", null, TakesValue: true);
    private static readonly OptionSpec OutputDir = new("output-dir", null, TakesValue: true);
    private static readonly OptionSpec InlineLimit = new("inline-limit", null, TakesValue: true);
    private static readonly OptionSpec Retries = new("retries", null, TakesValue: true);
    private static readonly OptionSpec RetryOn = new("retry-on", null, TakesValue: true);
    private static readonly OptionSpec FailFast = new("fail-fast", null, TakesValue: false);
    private static readonly OptionSpec Strict = new("strict", null, TakesValue: false);
    private static readonly OptionSpec BatchTimeout = new("batch-timeout", null, TakesValue: true);
    private static readonly OptionSpec Progress = new("progress", null, TakesValue: true);
    private static readonly OptionSpec Help = new("help", null, TakesValue: false);
    private static readonly OptionSpec Storage = new("storage", null, TakesValue: true);
    private static readonly OptionSpec Queue = new("queue", null, TakesValue: true);
    private static readonly OptionSpec NoWait = new("no-wait", null, TakesValue: false);
    private static readonly OptionSpec Collect = new("collect", null, TakesValue: true);
    private static readonly OptionSpec BatchId = new("batch-id", null, TakesValue: true);

    private static readonly OptionSpec[] All =
        [Jobs, Results, Html, OutputDir, InlineLimit, Retries, RetryOn, FailFast, Strict, BatchTimeout, Progress, Help, Storage, Queue, NoWait, Collect, BatchId];

    /// <summary>The options that only the distributed mode takes, and those it refuses (with why).</summary>
    private static readonly OptionSpec[] DistributedOnly = [Queue, NoWait, Collect, BatchId];
    private static readonly (OptionSpec Option, string Why)[] LocalOnly =
    [
        (Jobs, "each worker's --slots sets how many jobs run at once"),
        (FailFast, "the workers run every job of the batch"),
        (BatchTimeout, "each job has its own timeout on its worker"),
        (OutputDir, "output beyond --inline-limit stays on the worker that ran the job, in its own --output-dir"),
    ];

    public static Request Parse(IReadOnlyList<string> args, out BatchSettings settings)
    {
        var parsed = new BatchSettings();
        var help = false;
        var given = new HashSet<OptionSpec>();
        var operands = new List<string>();
        var rest = args.ToList();
        while (rest.Count > 0)
        {
            var first = GnuOptionParser.Parse(rest, All, (option, value) =>
            {
                given.Add(option);
                Apply(parsed, option, value!, ref help);
            });
            if (help) break;
            if (first >= rest.Count) break;
            // "--" ends the options: everything after it is an operand.
            if (first > 0 && rest[first - 1] == "--")
            {
                operands.AddRange(rest.Skip(first));
                break;
            }
            operands.Add(rest[first]);
            rest = rest.Skip(first + 1).ToList();
        }
        settings = parsed;
        if (help) return Request.Help;
        CheckMode(parsed, given);
        if (parsed.CollectId is { } collected)
        {
            if (operands.Count > 0) throw new UsageException($"batch: --collect takes no job file (the batch's jobs are in the storage): extra operand {Quoting.Quote(operands[0])}");
            parsed.ResultsPath ??= collected + ".results.jsonl";
            return Request.Run;
        }
        if (operands.Count == 0) throw new UsageException("batch: missing job file operand");
        if (operands.Count > 1) throw new UsageException($"batch: extra operand {Quoting.Quote(operands[1])}");
        parsed.JobsPath = operands[0];
        if (parsed.JobsPath == "-" && parsed.ResultsPath is null) throw new UsageException("batch: reading jobs from standard input needs --results");
        return Request.Run;
    }

    /// <summary>Refuses options that the mode (local, or distributed with --storage) does not take, saying why.</summary>
    private static void CheckMode(BatchSettings settings, HashSet<OptionSpec> given)
    {
        if (settings.Storage is null)
        {
            foreach (var option in DistributedOnly)
                if (given.Contains(option)) throw new UsageException($"batch: --{option.LongName} needs --storage (the distributed mode)");
            return;
        }
        foreach (var (option, why) in LocalOnly)
            if (given.Contains(option)) throw new UsageException($"batch: --{option.LongName} does not apply with --storage: {why}");
    }

    private static void Apply(BatchSettings settings, OptionSpec option, string value, ref bool help)
    {
        if (option == Help) help = true;
        else if (option == Jobs) settings.Parallelism = PositiveInt(value, "number of parallel jobs", min: 1);
        else if (option == Results) settings.ResultsPath = NonEmpty(value, "results file");
        else if (option == Html) settings.HtmlPath = NonEmpty(value, "HTML report file");
        else if (option == OutputDir) settings.OutputDirectory = NonEmpty(value, "output directory");
        else if (option == InlineLimit) settings.InlineLimit = PositiveInt(value, "inline limit", min: 0);
        else if (option == Retries) settings.Retries = PositiveInt(value, "number of retries", min: 0);
        else if (option == RetryOn) settings.RetryOn = OutcomeList(value);
        else if (option == FailFast) settings.FailFast = true;
        else if (option == Strict) settings.Strict = true;
        else if (option == BatchTimeout) settings.BatchTimeout = DurationParser.Parse(value);
        else if (option == Storage) settings.Storage = NonEmpty(value, "storage connection string");
        else if (option == Queue) settings.Queue = Name(value, "queue name", QueueCharacter, "lowercase letters, digits, '_' and '-'");
        else if (option == NoWait) settings.NoWait = true;
        else if (option == Collect) settings.CollectId = Name(value, "batch id", BatchIdCharacter, "letters, digits, '.', '_' and '-'");
        else if (option == BatchId) settings.BatchId = Name(value, "batch id", BatchIdCharacter, "letters, digits, '.', '_' and '-'");
        else if (option == Progress)
        {
            settings.Progress = value switch
            {
                "auto" => ProgressMode.Auto,
                "live" => ProgressMode.Live,
                "plain" => ProgressMode.Plain,
                "none" => ProgressMode.None,
                _ => throw new UsageException($"batch: invalid progress mode {Quoting.Quote(value)} (auto, live, plain or none)"),
            };
        }
    }

    private static int PositiveInt(string value, string what, int min)
    {
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number < min)
            throw new UsageException($"batch: invalid {what} {Quoting.Quote(value)}");
        return number;
    }

    /// <summary>Hangfire's own rule for queue names.</summary>
    private static bool QueueCharacter(char c) => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '_' or '-';

    private static bool BatchIdCharacter(char c) => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-';

    private static string Name(string value, string what, Func<char, bool> allowed, string rule) =>
        value.Length is > 0 and <= 100 && value.All(allowed) && value[0] != '.'
            ? value
            : throw new UsageException($"batch: invalid {what} {Quoting.Quote(value)} (1 to 100 of {rule})");

    private static string NonEmpty(string value, string what) =>
        value.Length > 0 ? value : throw new UsageException($"batch: invalid {what} ''");

    private static HashSet<string> OutcomeList(string value)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!RetryableOutcomes.Contains(name, StringComparer.Ordinal))
                throw new UsageException($"batch: invalid outcome {Quoting.Quote(name)} for --retry-on ({string.Join(", ", RetryableOutcomes)})");
            set.Add(name);
        }
        return set;
    }
}
