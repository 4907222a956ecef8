namespace Timebox.Cli;

/// <summary>The outcome names of <see cref="RunReport.Outcome"/>.</summary>
internal static class ReportOutcome
{
    public const string Exited = "exited";
    public const string Signaled = "signaled";
    public const string TimedOut = "timed_out";
    public const string IdleTimedOut = "idle_timed_out";
    public const string Canceled = "canceled";
    public const string StartFailed = "start_failed";
}
