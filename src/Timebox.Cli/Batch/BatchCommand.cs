namespace Timebox.Cli;

/// <summary>
/// `timebox batch JOBS.jsonl [OPTION]...`: reads the jobs, skips those the results file already records, runs the rest
/// with the library's <see cref="BatchRunner"/>, appends one result line per attempt as it ends, shows progress, and
/// ends with a summary table (and the HTML report). Only this path touches any of the batch code: `timebox DURATION
/// COMMAND` never does.
/// </summary>
internal static class BatchCommand
{
    /// <summary>Some job of the batch did not succeed (or a line was malformed).</summary>
    public const int SomeFailedStatus = 1;

    /// <param name="args">The arguments after "batch".</param>
    /// <param name="inherited">The signal state timebox started with.</param>
    /// <param name="distributed">
    /// Runs a batch with --storage in this process (timebox-distributed passes it); when null, such a batch execs
    /// timebox-distributed (<see cref="DistributedHost"/>).
    /// </param>
    public static int Run(string[] args, InheritedSignals inherited, Func<BatchSettings, int>? distributed = null)
    {
        BatchSettings settings;
        try
        {
            if (BatchArguments.Parse(args, out settings) == BatchArguments.Request.Help)
                return Messages.Out(BatchHelp.Text) ? 0 : Cli.FailedStatus;
        }
        catch (UsageException exception)
        {
            if (exception.Diagnostic is { } diagnostic) Messages.Error(diagnostic);
            Descriptors.WriteAll(2, "Try 'timebox batch --help' for more information.\n"u8);
            return Cli.FailedStatus;
        }
        if (settings.Storage is not null) return distributed?.Invoke(settings) ?? DistributedHost.Exec();
        return RunAsync(settings, inherited).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(BatchSettings settings, InheritedSignals inherited)
    {
        if (ReadJobs(settings) is not { } read) return Cli.FailedStatus;
        var (jobs, malformed, jobsName) = read;
        if (BatchFiles.Open(settings) is not { } files) return Cli.FailedStatus;
        using var opened = files;
        var results = files.Results;

        var (toRun, alreadyDone, alreadyFailed) = ResumePlan.Make(jobs, results.Recorded, settings);
        var runner = new BatchRunner(new BatchOptions
        {
            MaxParallelism = settings.Parallelism,
            MaxAttempts = settings.Retries + 1,
            RetryOn = ResumePlan.RetryOutcomes(settings),
            FailFast = settings.FailFast,
            Timeout = settings.BatchTimeout,
        });
        var tally = new BatchTally(toRun.Count, alreadyDone, malformed.Count, settings.Parallelism);
        var allSucceeded = alreadyFailed == 0 && malformed.Count == 0;
        var failedStatus = 0;
        using (var view = ProgressView.Create(settings.Progress, tally, () => runner.Running))
        using (var signals = new BatchSignals(inherited,
            first: _ =>
            {
                view.Notice($"stopping: {TextFormat.Number(runner.Running.Count)} running jobs get the termination sequence; press Ctrl-C again to kill them now");
                runner.Stop();
            },
            again: _ =>
            {
                view.Notice("killing the running jobs");
                runner.Kill();
            }))
        {
            runner.ParallelismReduced += (_, reduced) =>
                view.Notice($"batch: warning: {reduced.Reason}: running at most {TextFormat.Number(reduced.Parallelism)} {(reduced.Parallelism == 1 ? "job" : "jobs")} at once");
            try
            {
                await foreach (var attempt in runner.RunAsync(toRun).ConfigureAwait(false))
                {
                    using (attempt.Result)
                    {
                        if (failedStatus == 0 && Record(attempt, results, settings) is { } failure)
                        {
                            view.Notice($"batch: cannot write results: {failure}; stopping");
                            failedStatus = Cli.FailedStatus;
                            runner.Stop();
                        }
                    }
                    var record = tally.Add(attempt);
                    if (!attempt.WillRetry && !attempt.Succeeded) allSucceeded = false;
                    view.OnAttempt(record);
                }
            }
#pragma warning disable CA1031 // reported as timebox's own failure (125) after everything in flight has ended
            catch (Exception exception)
#pragma warning restore CA1031
            {
                view.Notice(Timebox.Batch.ResourceExhaustion.Find(exception) is { } errno
                    ? $"batch: cannot start a job: {Timebox.Batch.ResourceExhaustion.Words(errno)}; stopping (the job is not recorded: a rerun runs it)"
                    : $"batch: {exception.Message}");
                failedStatus = Cli.FailedStatus;
            }
            view.End();
            if (!files.Finish(tally, jobsName, view.UsesColor)) failedStatus = Cli.FailedStatus;

            if (signals.First is var signal and > 0) return 128 + signal;
            if (failedStatus != 0) return failedStatus;
            if (runner.StopReason == BatchStopReason.TimedOut) return Cli.TimedOutStatus;
            return allSucceeded && runner.StopReason == BatchStopReason.None ? 0 : SomeFailedStatus;
        }
    }

    /// <summary>
    /// The jobs of the job file (or stdin), its malformed lines reported on stderr; null when it cannot be read, or when
    /// --strict refuses it (said on stderr too).
    /// </summary>
    public static (List<JobLine> Jobs, List<MalformedLine> Malformed, string JobsName)? ReadJobs(BatchSettings settings)
    {
        byte[] content;
        try
        {
            content = settings.JobsPath == "-" ? ReadStandardInput() : File.ReadAllBytes(settings.JobsPath);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            Messages.Error($"batch: cannot read jobs {Quoting.Quote(settings.JobsPath)}: {SystemError.Words(exception, settings.JobsPath)}");
            return null;
        }
        var (jobs, malformed) = JobFile.Parse(content);
        var jobsName = settings.JobsPath == "-" ? "stdin" : settings.JobsPath;
        foreach (var line in malformed) Messages.Error($"{jobsName}:{TextFormat.Number(line.Line)}: {line.Reason}{(settings.Strict ? "" : "; line skipped")}");
        if (settings.Strict && malformed.Count > 0)
        {
            Messages.Error($"batch: {TextFormat.Number(malformed.Count)} bad lines in {Quoting.Quote(jobsName)}: nothing run (--strict)");
            return null;
        }
        return (jobs, malformed, jobsName);
    }

    /// <summary>
    /// Appends the attempt's result line, its large output saved to files first. Null when recorded; otherwise why not,
    /// in the system's words, after removing what this attempt left: the files no line refers to, and any partial line.
    /// </summary>
    private static string? Record(BatchResult attempt, ResultsFile results, BatchSettings settings)
    {
        var saved = new List<string>();
        try
        {
            results.Append(ResultLine.Build(attempt, settings, saved));
            return null;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            foreach (var file in saved) ResultLine.Remove(file);
            return SystemError.Words(exception);
        }
    }

    private static byte[] ReadStandardInput()
    {
        using var stdin = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(0, ownsHandle: false), FileAccess.Read);
        using var memory = new MemoryStream();
        stdin.CopyTo(memory);
        return memory.ToArray();
    }
}
