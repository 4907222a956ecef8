using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Timebox.Hangfire;

/// <summary>One job of a distributed batch: its id and its job-file line (the JSON object `timebox batch` reads).</summary>
/// <param name="Id">The job's id, unique in its batch (it supersedes the line's own id field).</param>
/// <param name="JobLine">The job, as one line of a job file: command or shell, and optionally timeout, kill_after, idle_timeout, cwd, env, stdin.</param>
public sealed record TimeboxBatchJob(string Id, string JobLine)
{
    /// <summary>The number of its first attempt (1 by default; later when an earlier run of the batch already made attempts).</summary>
    public int FirstAttempt { get; init; } = 1;

    /// <summary>A job that runs <paramref name="command"/> (the program, then its arguments; no shell).</summary>
    /// <param name="id">The job's id.</param>
    /// <param name="command">The program and its arguments.</param>
    /// <param name="timeout">Its deadline (none when null): then its whole tree gets the termination sequence.</param>
    /// <param name="idleTimeout">How long it may go without output (no limit when null).</param>
    /// <param name="killAfter">The grace period between the termination signal and SIGKILL (5 s when null).</param>
    /// <param name="workingDirectory">Its working directory on the worker (the worker's own when null).</param>
    /// <param name="environment">Variables to set on top of the worker's environment (a null value unsets one).</param>
    /// <param name="stdin">Text fed to its stdin (empty when null).</param>
    public static TimeboxBatchJob ForCommand(string id, IEnumerable<string> command, TimeSpan? timeout = null, TimeSpan? idleTimeout = null,
        TimeSpan? killAfter = null, string? workingDirectory = null, IReadOnlyDictionary<string, string?>? environment = null, string? stdin = null)
    {
        ArgumentNullException.ThrowIfNull(command);
        var argv = command.ToList();
        if (argv.Count == 0 || string.IsNullOrEmpty(argv[0])) throw new ArgumentException("A command names a program.", nameof(command));
        return Build(id, json =>
        {
            json.WriteStartArray("command");
            foreach (var argument in argv) json.WriteStringValue(argument);
            json.WriteEndArray();
        }, timeout, idleTimeout, killAfter, workingDirectory, environment, stdin);
    }

    /// <summary>A job that runs <paramref name="script"/> with /bin/sh -c; the other parameters as for <see cref="ForCommand"/>.</summary>
    /// <param name="id">The job's id.</param>
    /// <param name="script">The shell script.</param>
    /// <param name="timeout">Its deadline (none when null).</param>
    /// <param name="idleTimeout">How long it may go without output (no limit when null).</param>
    /// <param name="killAfter">The grace period between the termination signal and SIGKILL (5 s when null).</param>
    /// <param name="workingDirectory">Its working directory on the worker.</param>
    /// <param name="environment">Variables to set (a null value unsets one).</param>
    /// <param name="stdin">Text fed to its stdin.</param>
    public static TimeboxBatchJob ForShell(string id, string script, TimeSpan? timeout = null, TimeSpan? idleTimeout = null,
        TimeSpan? killAfter = null, string? workingDirectory = null, IReadOnlyDictionary<string, string?>? environment = null, string? stdin = null)
    {
        ArgumentNullException.ThrowIfNull(script);
        return Build(id, json => json.WriteString("shell", script), timeout, idleTimeout, killAfter, workingDirectory, environment, stdin);
    }

    private static TimeboxBatchJob Build(string id, Action<Utf8JsonWriter> program, TimeSpan? timeout, TimeSpan? idleTimeout, TimeSpan? killAfter,
        string? workingDirectory, IReadOnlyDictionary<string, string?>? environment, string? stdin)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        var line = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(line))
        {
            json.WriteStartObject();
            program(json);
            WriteSeconds(json, "timeout", timeout);
            WriteSeconds(json, "idle_timeout", idleTimeout);
            WriteSeconds(json, "kill_after", killAfter);
            if (workingDirectory is not null) json.WriteString("cwd", workingDirectory);
            if (environment is not null)
            {
                json.WriteStartObject("env");
                foreach (var (name, value) in environment) json.WriteString(name, value);
                json.WriteEndObject();
            }
            if (stdin is not null) json.WriteString("stdin", stdin);
            json.WriteEndObject();
        }
        return new TimeboxBatchJob(id, Encoding.UTF8.GetString(line.WrittenSpan));
    }

    private static void WriteSeconds(Utf8JsonWriter json, string name, TimeSpan? duration)
    {
        if (duration is not { } value) return;
        ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero, name);
        // A string the job file reads exactly (a JSON number would be read back through a double's digits).
        json.WriteString(name, value.TotalSeconds.ToString("0.#######", CultureInfo.InvariantCulture));
    }
}
