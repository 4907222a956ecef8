using System.Text.Encodings.Web;
using System.Text.Json;

namespace Timebox.Cli;

/// <summary>
/// The --report document: one JSON object per run. The schema is documented in the README and is reused line for
/// line by batch results; add fields, never rename them.
/// </summary>
/// <remarks>
/// Written with Utf8JsonWriter field by field rather than through a source-generated JsonSerializerContext: both are
/// reflection-free and AOT-safe, but the generated metadata (converters, type info) adds type data that the runtime
/// must load at every start, which the CLI's start-up budget cannot afford (bench/NOTES.md, CLI startup).
/// </remarks>
internal sealed record RunReport(
    IReadOnlyList<string> Command,
    string Outcome,
    int? ExitCode,
    int? Signal,
    bool Forced,
    DateTimeOffset StartedAt,
    double DurationMs,
    double CpuUserMs,
    double CpuSystemMs,
    long PeakRssBytes,
    int KilledProcesses,
    int ExitStatus,
    string? Error)
{
    /// <summary>
    /// How reports are written: only what JSON requires is escaped, so a command line reads as typed (the default encoder
    /// writes <c>&gt;&amp;2</c> as <c>\u003E\u00262</c>, which is valid but hard to read).
    /// </summary>
    public static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public void WriteTo(Stream stream)
    {
        using var json = new Utf8JsonWriter(stream, WriterOptions);
        json.WriteStartObject();
        WriteFields(json);
        json.WriteEndObject();
    }

    /// <summary>
    /// Writes the schema's fields, in the schema's order, into an object the caller has opened: --report closes it at
    /// once; a batch result line (Batch/ResultLine.cs) adds its own fields after these.
    /// </summary>
    public void WriteFields(Utf8JsonWriter json)
    {
        json.WriteStartArray("command");
        foreach (var argument in Command) json.WriteStringValue(argument);
        json.WriteEndArray();
        json.WriteString("outcome", Outcome);
        WriteNullable(json, "exit_code", ExitCode);
        WriteNullable(json, "signal", Signal);
        json.WriteBoolean("forced", Forced);
        json.WriteString("started_at", StartedAt);
        json.WriteNumber("duration_ms", DurationMs);
        json.WriteNumber("cpu_user_ms", CpuUserMs);
        json.WriteNumber("cpu_system_ms", CpuSystemMs);
        json.WriteNumber("peak_rss_bytes", PeakRssBytes);
        json.WriteNumber("killed_processes", KilledProcesses);
        json.WriteNumber("exit_status", ExitStatus);
        json.WriteString("error", Error);
    }

    private static void WriteNullable(Utf8JsonWriter json, string name, int? value)
    {
        if (value is { } number) json.WriteNumber(name, number);
        else json.WriteNull(name);
    }
}
