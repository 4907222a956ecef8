namespace Timebox.Cli;

/// <summary>
/// Which jobs of a job file still have to run, given what the results file records, and from which attempt. A job is
/// done when its last recorded attempt ended in anything but canceled, and either succeeded, ended in an outcome not
/// retried, or used the last attempt. A canceled attempt (Ctrl-C, batch deadline, fail-fast) did not finish: it runs
/// again under the same number. A job that was running when timebox was killed has no line and runs again from its attempt.
/// </summary>
internal static class ResumePlan
{
    public static (List<BatchJob> ToRun, int AlreadyDone, int AlreadyFailed) Make(IReadOnlyList<JobLine> jobs, IReadOnlyDictionary<string, RecordedResult> recorded, BatchSettings settings)
    {
        var toRun = new List<BatchJob>();
        var done = 0;
        var failed = 0;
        var maxAttempts = settings.Retries + 1;
        foreach (var job in jobs)
        {
            var firstAttempt = 1;
            if (recorded.TryGetValue(job.Id, out var last))
            {
                if (last.Outcome == Outcome.Canceled) firstAttempt = last.Attempt;
                else if (Retryable(last, settings) && last.Attempt < maxAttempts) firstAttempt = last.Attempt + 1;
                else
                {
                    done++;
                    if (!Succeeded(last)) failed++;
                    continue;
                }
            }
            toRun.Add(new BatchJob(job.Id, job.Command) { FirstAttempt = Math.Max(1, firstAttempt), State = job });
        }
        return (toRun, done, failed);
    }

    private static bool Succeeded(RecordedResult last) => last.Outcome == Outcome.Exited && last.ExitCode == 0;

    private static bool Retryable(RecordedResult last, BatchSettings settings) =>
        !Succeeded(last) && last.Outcome is { } outcome && settings.RetryOn.Contains(ReportOutcome.FamilyOf(outcome));

    /// <summary>The library's outcomes for the --retry-on names (each a family of <see cref="ReportOutcome"/>).</summary>
    public static Outcome[] RetryOutcomes(BatchSettings settings) => [.. settings.RetryOn.SelectMany(ReportOutcome.InFamily)];
}
