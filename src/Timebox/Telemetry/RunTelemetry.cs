using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;

namespace Timebox.Telemetry;

/// <summary>
/// The span and the measurements of runs (see <see cref="TimeboxTelemetry"/>), following OpenTelemetry's conventions for
/// CLI programs seen by their caller (a CLIENT span named after the executable, <c>process.*</c> and <c>error.type</c>),
/// with <c>timebox.*</c> attributes for what they have no name for. While nobody listens each hook costs a few field reads.
/// </summary>
internal static class RunTelemetry
{
    private static readonly string? Version = typeof(RunTelemetry).Assembly.GetName().Version?.ToString();
    private static readonly ActivitySource Source = new(TimeboxTelemetry.ActivitySourceName, Version);
    private static readonly Meter Meter = new(TimeboxTelemetry.MeterName, Version);

    private static readonly Counter<long> StartedRuns = Meter.CreateCounter<long>("timebox.started_runs", "{run}",
        "Runs whose program was started.");

    // From a few milliseconds (a spawn of a short tool) to an hour (a build step), in seconds.
    private static readonly Histogram<double> RunDuration = Meter.CreateHistogram<double>("timebox.run.duration", "s",
        "From the start of a run until it completed, termination sequence and drain included.", tags: null,
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 600, 1800, 3600] });

    private static readonly Counter<long> Timeouts = Meter.CreateCounter<long>("timebox.timeouts", "{timeout}",
        "Runs ended by their deadline or their idle timeout.");

    private static readonly Counter<long> Kills = Meter.CreateCounter<long>("timebox.kills", "{kill}",
        "Runs whose termination had to SIGKILL a process that the termination signal did not end (RunResult.ForcefullyKilled).");

    private static readonly Counter<long> CapturedBytes = Meter.CreateCounter<long>("timebox.output.captured", "By",
        "Bytes of output kept in run results (after any capture limit).");

    /// <summary>
    /// The run's program has just been spawned (<paramref name="startTimestamp"/> was taken just before): counts it, and
    /// starts its span if anyone listens, back-dated to that timestamp.
    /// </summary>
    public static Activity? Start(Command command, int processId, long startTimestamp)
    {
        if (StartedRuns.Enabled) StartedRuns.Add(1);
        return Source.HasListeners() ? StartSpan(command, processId, startTimestamp) : null;
    }

    /// <summary>The run has completed with <paramref name="result"/>, or with <paramref name="failure"/> to keep its output (the call then throws).</summary>
    public static void Complete(Activity? span, RunResult result, Exception? failure)
    {
        if (span is null && !RunDuration.Enabled && !Timeouts.Enabled && !Kills.Enabled && !CapturedBytes.Enabled) return;
        var outcome = OutcomeName(result.Outcome);
        var errorType = ErrorType(result, failure);
        if (span is not null) EndSpan(span, result, failure, outcome, errorType);
        var outcomeTag = new KeyValuePair<string, object?>("timebox.outcome", outcome);
        if (RunDuration.Enabled)
        {
            if (errorType is null) RunDuration.Record(result.Duration.TotalSeconds, outcomeTag);
            else RunDuration.Record(result.Duration.TotalSeconds, outcomeTag, new KeyValuePair<string, object?>("error.type", errorType));
        }
        if (Timeouts.Enabled && result.Outcome is Outcome.TimedOut or Outcome.IdleTimedOut) Timeouts.Add(1, outcomeTag);
        if (Kills.Enabled && result.ForcefullyKilled) Kills.Add(1, outcomeTag);
        if (CapturedBytes.Enabled)
        {
            if (result.Stdout.Length > 0) CapturedBytes.Add(result.Stdout.Length, new KeyValuePair<string, object?>("timebox.output.stream", "stdout"));
            if (result.Stderr.Length > 0) CapturedBytes.Add(result.Stderr.Length, new KeyValuePair<string, object?>("timebox.output.stream", "stderr"));
        }
    }

    private static Activity? StartSpan(Command command, int processId, long startTimestamp)
    {
        var executable = ExecutableName(command);
        KeyValuePair<string, object?>[] tags = TimeboxTelemetry.RecordCommandArguments
            ? [new("process.executable.name", executable), new("process.pid", processId), new("process.command_args", (string[])[command.Program, .. command.Arguments])]
            : [new("process.executable.name", executable), new("process.pid", processId)];
        var startTime = DateTimeOffset.UtcNow - Stopwatch.GetElapsedTime(startTimestamp);
        // The span is the child of the caller's current activity, but not the current activity of what the caller does
        // next: Start returns while the program runs, and the run completes on another thread.
        var callers = Activity.Current;
        var span = Source.StartActivity(executable, ActivityKind.Client, parentContext: default, tags, links: null, startTime);
        Activity.Current = callers;
        return span;
    }

    private static void EndSpan(Activity span, RunResult result, Exception? failure, string outcome, string? errorType)
    {
        span.SetEndTime(span.StartTimeUtc + result.Duration);
        // Sampled out but propagated: the span exists for its context only, and nobody reads what it would carry.
        if (!span.IsAllDataRequested)
        {
            span.Stop();
            return;
        }
        // A shell's status for a program a signal ended (128 + N): the conventions require an exit code.
        if ((result.ExitCode ?? (result.Signal is { } signal ? 128 + signal : null)) is { } exitCode) span.SetTag("process.exit.code", exitCode);
        if (errorType is not null) span.SetTag("error.type", errorType);
        span.SetTag("timebox.outcome", outcome);
        if (result.Signal is { } ended) span.SetTag("timebox.signal", "SIG" + Signals.NameOf(ended));
        span.SetTag("timebox.timed_out", result.Outcome is Outcome.TimedOut or Outcome.IdleTimedOut);
        span.SetTag("timebox.forced", result.ForcefullyKilled);
        span.SetTag("timebox.output_incomplete", result.OutputIncomplete);
        if (result.SignaledProcesses > 0) span.SetTag("timebox.signalled_processes", result.SignaledProcesses);
        if (result.Command.Timeout is { } timeout) span.SetTag("timebox.timeout", timeout.TotalSeconds);
        if (result.Command.IdleTimeout is { } idle) span.SetTag("timebox.idle_timeout", idle.TotalSeconds);
        if (result.Stdout.Length > 0) span.SetTag("timebox.stdout.size", result.Stdout.Length);
        if (result.Stderr.Length > 0) span.SetTag("timebox.stderr.size", result.Stderr.Length);
        if (result.Usage is { } usage)
        {
            span.SetTag("timebox.usage.peak_rss", usage.PeakResidentSetBytes);
            span.SetTag("timebox.usage.user_cpu_time", usage.UserCpuTime.TotalSeconds);
            span.SetTag("timebox.usage.system_cpu_time", usage.SystemCpuTime.TotalSeconds);
        }
        if (failure is not null) span.AddException(failure);
        if (errorType is not null) span.SetStatus(ActivityStatusCode.Error, result.Describe());
        span.Stop();
    }

    // Low-cardinality, as the conventions ask: "timeout" is their own example; a plain non-zero exit is its code, as
    // HTTP spans give the status code.
    private static string? ErrorType(RunResult result, Exception? failure) => failure is not null ? "output_failed" : result.Outcome switch
    {
        Outcome.Exited => result.ExitCode is null or 0 ? null : result.ExitCode.Value.ToString(CultureInfo.InvariantCulture),
        Outcome.TimedOut => "timeout",
        Outcome.IdleTimedOut => "idle_timeout",
        _ => OutcomeName(result.Outcome),
    };

    private static string OutcomeName(Outcome outcome) => outcome switch
    {
        Outcome.Exited => "exited",
        Outcome.Signaled => "signaled",
        Outcome.TimedOut => "timed_out",
        Outcome.Canceled => "canceled",
        Outcome.IdleTimedOut => "idle_timed_out",
        Outcome.OutputLimitExceeded => "output_limit_exceeded",
        Outcome.CpuLimitExceeded => "cpu_limit_exceeded",
        Outcome.FileSizeLimitExceeded => "file_size_limit_exceeded",
        Outcome.MemoryLimitExceeded => "memory_limit_exceeded",
        Outcome.OutputFailed => "output_failed",
        _ => "_OTHER",
    };

    // The base name of the program as given (a path or a name looked up in PATH): what /proc/PID/exe names, except for
    // scripts, whose interpreter that would be.
    private static string ExecutableName(Command command) =>
        Path.GetFileName(command.Program) is { Length: > 0 } name ? name : command.Program;
}
