namespace Timebox;

/// <summary>
/// What Timebox reports through <c>System.Diagnostics</c>, for OpenTelemetry (<c>AddSource(TimeboxTelemetry.ActivitySourceName)</c>,
/// <c>AddMeter(TimeboxTelemetry.MeterName)</c>) or any other <see cref="System.Diagnostics.ActivityListener"/> and
/// <see cref="System.Diagnostics.Metrics.MeterListener"/>: a client span per run, from the spawn until the run completed
/// (termination sequence and drain included, so a timed-out run's span ends when its tree is gone), and the run's
/// counters and duration. Nothing is built while nobody listens. The README lists the attributes and instruments.
/// </summary>
public static class TimeboxTelemetry
{
    /// <summary>The name of the <see cref="System.Diagnostics.ActivitySource"/> whose spans describe runs: "Timebox".</summary>
    public const string ActivitySourceName = "Timebox";

    /// <summary>The name of the <see cref="System.Diagnostics.Metrics.Meter"/> of the run counters and durations: "Timebox".</summary>
    public const string MeterName = "Timebox";

    /// <summary>
    /// When true, spans carry <c>process.command_args</c>: the program and every argument, as given. Off by default, as
    /// OpenTelemetry's conventions ask, because command lines often hold secrets. Read when each run starts.
    /// </summary>
    public static bool RecordCommandArguments { get; set; }
}
