using Timebox.Platform.Unix;

namespace Timebox.Cli;

/// <summary>How a supervised command ended, and what it cost.</summary>
internal sealed record SupervisorResult(
    ExitStatus Status,
    bool TimedOut,
    bool IdleTimedOut,
    bool SignalReceived,
    bool Forced,
    bool KilledOwnGroup,
    int SignalledProcesses,
    DateTimeOffset StartedAt,
    TimeSpan Duration,
    (TimeSpan User, TimeSpan System, long PeakRssBytes) Usage,
    StartFailure? StartError)
{
    public static SupervisorResult StartFailed(StartFailure error, DateTimeOffset startedAt, TimeSpan duration) =>
        new(default, false, false, false, false, false, 0, startedAt, duration, default, error);

    public string Outcome => StartError is not null ? ReportOutcome.StartFailed
        : IdleTimedOut ? ReportOutcome.IdleTimedOut
        : TimedOut ? ReportOutcome.TimedOut
        : SignalReceived ? ReportOutcome.Canceled
        : Status.Signal is not null ? ReportOutcome.Signaled
        : ReportOutcome.Exited;
}
