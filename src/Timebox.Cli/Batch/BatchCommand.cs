namespace Timebox.Cli;

/// <summary>
/// `timebox batch JOBS.jsonl [OPTION]...`: reads the jobs, skips those the results file already records, runs the rest
/// with the library's <see cref="BatchRunner"/>, appends one result line per attempt as it ends, shows progress, and
/// ends with a summary table (and the HTML report). Only this path touches any of the batch code: `timebox DURATION
/// COMMAND` never does.
/// </summary>
internal static class BatchCommand
{
    private const int SomeFailedStatus = 1;

    public static int Run(string[] args, InheritedSignals inherited)
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
        return RunAsync(settings, inherited).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(BatchSettings settings, InheritedSignals inherited)
    {
        byte[] content;
        try
        {
            content = settings.JobsPath == "-" ? ReadStandardInput() : File.ReadAllBytes(settings.JobsPath);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            Messages.Error($"batch: cannot read jobs {Quoting.Quote(settings.JobsPath)}: {SystemError.Words(exception, settings.JobsPath)}");
            return Cli.FailedStatus;
        }
        var (jobs, malformed) = JobFile.Parse(content);
        var jobsName = settings.JobsPath == "-" ? "stdin" : settings.JobsPath;
        foreach (var line in malformed) Messages.Error($"{jobsName}:{TextFormat.Number(line.Line)}: {line.Reason}{(settings.Strict ? "" : "; line skipped")}");
        if (settings.Strict && malformed.Count > 0)
        {
            Messages.Error($"batch: {TextFormat.Number(malformed.Count)} bad lines in {Quoting.Quote(jobsName)}: nothing run (--strict)");
            return Cli.FailedStatus;
        }

        var resultsPath = settings.EffectiveResultsPath;
        ResultsFile results;
        try
        {
            results = ResultsFile.Open(resultsPath);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            Messages.Error($"batch: cannot open results {Quoting.Quote(resultsPath)}: {SystemError.Words(exception, resultsPath)}");
            return Cli.FailedStatus;
        }
        using var resultsFile = results;
        if (results.DroppedPartialLine) Messages.Error($"batch: {Quoting.Quote(resultsPath)} ended with an incomplete line (a run was killed while writing it): removed");
        var orphans = settings.OutputDirectory is null ? OrphanedOutputs.Remove(settings.EffectiveOutputDirectory, results.OutputFileNames) : 0;
        if (orphans > 0)
            Messages.Error($"batch: removed {TextFormat.Number(orphans)} output files of {Quoting.Quote(settings.EffectiveOutputDirectory)} that no result line refers to (a run was killed while saving them)");
        if (results.UnreadableLines > 0) Messages.Error($"batch: {Quoting.Quote(resultsPath)}: {TextFormat.Number(results.UnreadableLines)} lines are not result lines: ignored");

        ReportFile? html = null;
        if (settings.HtmlPath is { } htmlPath && (html = ReportFile.Prepare(htmlPath, "batch: cannot write HTML report")) is null) return Cli.FailedStatus;
        using var htmlFile = html;

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
        using (var view = ProgressView.Create(settings.Progress, tally, runner))
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
            Terminal.Write(SummaryTable.Render(tally, resultsPath, view.UsesColor));

            if (htmlFile is not null && !htmlFile.Write(System.Text.Encoding.UTF8.GetBytes(HtmlReport.Render(tally, jobsName, resultsPath))))
                failedStatus = Cli.FailedStatus;

            if (signals.First is var signal and > 0) return 128 + signal;
            if (failedStatus != 0) return failedStatus;
            if (runner.StopReason == BatchStopReason.TimedOut) return Cli.TimedOutStatus;
            return allSucceeded && runner.StopReason == BatchStopReason.None ? 0 : SomeFailedStatus;
        }
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
