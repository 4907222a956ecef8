using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Timebox.Tests;

/// <summary>
/// The span and the measurements of a run, seen through the listeners OpenTelemetry uses. Other tests run in parallel:
/// spans are told apart by their pid; measurements by the thread that recorded them, since a blocking run without limits
/// is driven on its caller's thread from start to completion.
/// </summary>
public sealed class TelemetryTests : ChildTest
{
    [Fact]
    public void A_run_that_times_out_ends_its_span_with_an_error_once_its_tree_is_gone()
    {
        using var telemetry = new Recorder();
        var timeout = TimeSpan.FromSeconds(3);

        var result = Child("ignore-term", "print", "ignoring", "hold").WithTimeout(timeout).WithGracePeriod(TimeSpan.FromMilliseconds(100)).Run();

        Assert.Equal(Outcome.TimedOut, result.Outcome);
        var span = telemetry.SpanOf(result);
        Assert.Equal(ActivityKind.Client, span.Kind);
        Assert.Equal("Timebox.TestChild", span.DisplayName);
        Assert.Equal(ActivityStatusCode.Error, span.Status);
        Assert.Equal("timeout", span.GetTagItem("error.type"));
        Assert.Equal("timed_out", span.GetTagItem("timebox.outcome"));
        Assert.Equal(true, span.GetTagItem("timebox.timed_out"));
        Assert.Equal(timeout.TotalSeconds, span.GetTagItem("timebox.timeout"));
        Assert.Equal("Timebox.TestChild", span.GetTagItem("process.executable.name"));
        Assert.Equal(result.ProcessId, span.GetTagItem("process.pid"));
        Assert.Equal(result.Duration, span.Duration);
        // The test child sets its trap before it prints: a run that printed could only be ended by SIGKILL.
        var ignoredTerm = result.Stdout.Text == "ignoring\n";
        Assert.Equal(ignoredTerm, result.ForcefullyKilled);
        Assert.Equal(ignoredTerm, span.GetTagItem("timebox.forced"));
        Assert.Equal("SIG" + (ignoredTerm ? "KILL" : "TERM"), span.GetTagItem("timebox.signal"));
        Assert.Equal(128 + result.Signal, span.GetTagItem("process.exit.code"));
        Assert.Null(span.GetTagItem("process.command_args"));

        Assert.Equal([1], telemetry.Values("timebox.started_runs"));
        Assert.Equal([result.Duration.TotalSeconds], telemetry.Values("timebox.run.duration"));
        Assert.Equal(("timed_out", "timeout"), telemetry.Tags("timebox.run.duration").Single());
        Assert.Equal([1], telemetry.Values("timebox.timeouts"));
        Assert.Equal(ignoredTerm ? [1] : [], telemetry.Values("timebox.kills"));
        Assert.Equal(ignoredTerm ? [9] : [], telemetry.Values("timebox.output.captured"));
    }

    [Fact]
    public void A_run_that_succeeds_has_an_unset_status_its_usage_and_the_bytes_captured()
    {
        using var telemetry = new Recorder();

        var result = Child("print", "hello", "eprint", "oops").Run();

        Assert.True(result.Succeeded);
        var span = telemetry.SpanOf(result);
        Assert.Equal(ActivityStatusCode.Unset, span.Status);
        Assert.Null(span.GetTagItem("error.type"));
        Assert.Equal(0, span.GetTagItem("process.exit.code"));
        Assert.Equal("exited", span.GetTagItem("timebox.outcome"));
        Assert.Equal(false, span.GetTagItem("timebox.timed_out"));
        Assert.Equal(false, span.GetTagItem("timebox.forced"));
        Assert.Null(span.GetTagItem("timebox.signal"));
        Assert.Equal(6L, span.GetTagItem("timebox.stdout.size"));
        Assert.Equal(5L, span.GetTagItem("timebox.stderr.size"));
        Assert.Equal(result.Usage!.PeakResidentSetBytes, span.GetTagItem("timebox.usage.peak_rss"));
        Assert.True((long)span.GetTagItem("timebox.usage.peak_rss")! > 1 << 20, "A .NET program's peak RSS is over 1 MiB.");

        Assert.Equal([1], telemetry.Values("timebox.started_runs"));
        Assert.Equal([result.Duration.TotalSeconds], telemetry.Values("timebox.run.duration"));
        Assert.Equal(("exited", null), telemetry.Tags("timebox.run.duration").Single());
        Assert.Empty(telemetry.Values("timebox.timeouts"));
        Assert.Empty(telemetry.Values("timebox.kills"));
        Assert.Equal([6, 5], telemetry.Values("timebox.output.captured"));
    }

    [Fact]
    public void A_non_zero_exit_is_an_error_named_by_its_code()
    {
        using var telemetry = new Recorder();

        var result = Child("exit", "3").Run();

        var span = telemetry.SpanOf(result);
        Assert.Equal(ActivityStatusCode.Error, span.Status);
        Assert.Equal(3, span.GetTagItem("process.exit.code"));
        Assert.Equal("3", span.GetTagItem("error.type"));
        Assert.Equal(("exited", "3"), telemetry.Tags("timebox.run.duration").Single());
    }

    [Fact]
    public void The_span_is_a_child_of_the_callers_activity_and_does_not_replace_it()
    {
        using var telemetry = new Recorder();
        using var callers = new ActivitySource("Timebox.Tests.Caller");
        using var parent = callers.StartActivity("caller")!;

        var result = Child("print", "x").Run();

        Assert.Same(parent, Activity.Current);
        var span = telemetry.SpanOf(result);
        Assert.Equal(parent.TraceId, span.TraceId);
        Assert.Equal(parent.SpanId, span.ParentSpanId);
    }

    [Fact]
    public void Command_arguments_are_recorded_only_when_asked_for()
    {
        using var telemetry = new Recorder();
        var command = Child("print", "secret");

        var withoutArguments = command.Run();
        TimeboxTelemetry.RecordCommandArguments = true;
        RunResult withArguments;
        try
        {
            withArguments = command.Run();
        }
        finally
        {
            TimeboxTelemetry.RecordCommandArguments = false;
        }

        Assert.Null(telemetry.SpanOf(withoutArguments).GetTagItem("process.command_args"));
        Assert.Equal([command.Program, "print", "secret"], (string[])telemetry.SpanOf(withArguments).GetTagItem("process.command_args")!);
    }

    /// <summary>Listens to everything Timebox reports while it lives, as OpenTelemetry's SDK would with everything sampled.</summary>
    private sealed class Recorder : IDisposable
    {
        private readonly int _thread = Environment.CurrentManagedThreadId;
        private readonly ConcurrentQueue<Activity> _spans = new();
        private readonly ConcurrentQueue<(string Instrument, double Value, string? Outcome, string? ErrorType)> _measurements = new();
        private readonly ActivityListener _activities;
        private readonly MeterListener _meters = new();

        public Recorder()
        {
            _activities = new ActivityListener
            {
                ShouldListenTo = source => source.Name is TimeboxTelemetry.ActivitySourceName or "Timebox.Tests.Caller",
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = span =>
                {
                    if (span.Source.Name == TimeboxTelemetry.ActivitySourceName) _spans.Enqueue(span);
                },
            };
            ActivitySource.AddActivityListener(_activities);
            _meters.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == TimeboxTelemetry.MeterName) listener.EnableMeasurementEvents(instrument);
            };
            _meters.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
            _meters.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
            _meters.Start();
        }

        public Activity SpanOf(RunResult result) =>
            Assert.Single(_spans, span => Equals(span.GetTagItem("process.pid"), result.ProcessId));

        public double[] Values(string instrument) => [.. _measurements.Where(m => m.Instrument == instrument).Select(m => m.Value)];

        public (string? Outcome, string? ErrorType)[] Tags(string instrument) =>
            [.. _measurements.Where(m => m.Instrument == instrument).Select(m => (m.Outcome, m.ErrorType))];

        private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (Environment.CurrentManagedThreadId != _thread) return;
            string? outcome = null, errorType = null;
            foreach (var tag in tags)
            {
                if (tag.Key == "timebox.outcome") outcome = (string?)tag.Value;
                if (tag.Key == "error.type") errorType = (string?)tag.Value;
            }
            _measurements.Enqueue((instrument.Name, value, outcome, errorType));
        }

        public void Dispose()
        {
            _meters.Dispose();
            _activities.Dispose();
        }
    }
}
