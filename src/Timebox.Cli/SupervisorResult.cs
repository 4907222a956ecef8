using Timebox.Platform.Unix;

namespace Timebox.Cli;

/// <summary>How a supervised command ended, and what it cost.</summary>
/// <param name="Status">Its exit code or signal.</param>
/// <param name="Outcome">Why it ended: <see cref="Outcome.TimedOut"/> or <see cref="Outcome.IdleTimedOut"/> when timebox's timeout signaled it, <see cref="Outcome.Canceled"/> when a signal timebox received was passed on, otherwise <see cref="Outcome.Signaled"/> or <see cref="Outcome.Exited"/>.</param>
/// <param name="ForcefullyKilled">SIGKILL was sent: by -k, as the timeout signal, or to what the command left behind.</param>
/// <param name="KilledOwnGroup">SIGKILL went to timebox's own process group, so timebox dies of it too, as GNU timeout does.</param>
/// <param name="SignaledProcesses">How many processes the termination sequence signaled.</param>
/// <param name="StartedAt">When it started.</param>
/// <param name="Duration">How long it ran, its termination sequence included.</param>
/// <param name="Usage">Its CPU time and peak memory.</param>
/// <param name="StartError">Why it could not start, or null.</param>
internal sealed record SupervisorResult(
    ExitStatus Status,
    Outcome Outcome,
    bool ForcefullyKilled,
    bool KilledOwnGroup,
    int SignaledProcesses,
    DateTimeOffset StartedAt,
    TimeSpan Duration,
    (TimeSpan User, TimeSpan System, long PeakRssBytes) Usage,
    StartFailure? StartError)
{
    public static SupervisorResult StartFailed(StartFailure error, DateTimeOffset startedAt, TimeSpan duration) =>
        new(default, Outcome.Exited, false, false, 0, startedAt, duration, default, error);

    /// <summary>The timeout (not a received signal) ended it: exit status 124 unless --preserve-status.</summary>
    public bool TimedOut => Outcome is Outcome.TimedOut or Outcome.IdleTimedOut;

    /// <summary>The report's outcome name.</summary>
    public string OutcomeName => StartError is not null ? ReportOutcome.StartFailed : ReportOutcome.NameOf(Outcome);
}
