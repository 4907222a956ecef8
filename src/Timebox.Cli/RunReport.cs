using System.Text.Json.Serialization;

namespace Timebox.Cli;

/// <summary>
/// The --report document: one JSON object per run. The schema is documented in the README and is reused line for
/// line by batch results; add fields, never rename them.
/// </summary>
internal sealed record RunReport(
    [property: JsonPropertyName("command")] IReadOnlyList<string> Command,
    [property: JsonPropertyName("outcome")] string Outcome,
    [property: JsonPropertyName("exit_code")] int? ExitCode,
    [property: JsonPropertyName("signal")] int? Signal,
    [property: JsonPropertyName("forced")] bool Forced,
    [property: JsonPropertyName("started_at")] DateTimeOffset StartedAt,
    [property: JsonPropertyName("duration_ms")] double DurationMs,
    [property: JsonPropertyName("cpu_user_ms")] double CpuUserMs,
    [property: JsonPropertyName("cpu_system_ms")] double CpuSystemMs,
    [property: JsonPropertyName("peak_rss_bytes")] long PeakRssBytes,
    [property: JsonPropertyName("killed_processes")] int KilledProcesses,
    [property: JsonPropertyName("exit_status")] int ExitStatus,
    [property: JsonPropertyName("error")] string? Error);

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

[JsonSourceGenerationOptions(WriteIndented = false)]
[JsonSerializable(typeof(RunReport))]
internal sealed partial class ReportJsonContext : JsonSerializerContext;
