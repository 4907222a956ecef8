namespace Timebox.Cli;

/// <summary>
/// The --report object of one attempt of a batch job, filled from the library's result the way the CLI fills it from
/// its own supervisor: same outcome names, same exit status rules (124 on timeout, 126/127 when it could not start,
/// 128+N when killed by signal N, 137 when a timed-out command needed SIGKILL, as GNU's --preserve-status rule says).
/// </summary>
internal static class BatchRunReport
{
    public static RunReport From(BatchResult attempt)
    {
        var command = attempt.Job.Command;
        IReadOnlyList<string> argv = [command.Program, .. command.Arguments];
        if (attempt.Result is not { } result)
        {
            var failure = StartFailure.From(attempt.StartError!);
            return new RunReport(argv, ReportOutcome.StartFailed, null, null, false, attempt.StartedAt,
                Milliseconds(attempt.Duration), 0, 0, 0, 0, failure.NotFound ? Cli.NotFoundStatus : Cli.CannotInvokeStatus, failure.Reason);
        }
        var usage = result.Usage;
        return new RunReport(argv, ReportOutcome.NameOf(result.Outcome), result.ExitCode, result.Signal, result.ForcefullyKilled, result.StartedAt,
            Milliseconds(result.Duration), Milliseconds(usage?.UserCpuTime ?? TimeSpan.Zero), Milliseconds(usage?.SystemCpuTime ?? TimeSpan.Zero),
            usage?.PeakResidentSetBytes ?? 0, result.SignaledProcesses, ExitStatus(result), null);
    }

    /// <summary>What `timebox DURATION COMMAND` would have exited with for this run.</summary>
    public static int ExitStatus(RunResult result)
    {
        var timedOut = result.Outcome is Outcome.TimedOut or Outcome.IdleTimedOut;
        if (result.ExitCode is { } code) return timedOut ? Cli.TimedOutStatus : code;
        if (result.Signal is { } signal) return timedOut && signal != Signals.Kill ? Cli.TimedOutStatus : 128 + signal;
        return timedOut ? Cli.TimedOutStatus : Cli.FailedStatus;
    }

    private static double Milliseconds(TimeSpan time) => Math.Round(time.TotalMilliseconds, 3);
}
