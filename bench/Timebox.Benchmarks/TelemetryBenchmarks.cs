using System.Diagnostics;
using System.Text;
using BenchmarkDotNet.Attributes;
using Timebox.Output;
using Timebox.Telemetry;

namespace Timebox.Benchmarks;

/// <summary>
/// What telemetry adds to a run: the two hooks alone (a timed-out run's result, every tag built), and a whole run of
/// /bin/true, each with nobody listening and with a listener that takes the span and every measurement.
/// </summary>
[ShortInProcess]
[MemoryDiagnoser]
public class TelemetryBenchmarks
{
    private readonly Command _true = new("/bin/true");
    private readonly Command _timedOut = new Command("/bin/sleep", "30").WithTimeout(TimeSpan.FromSeconds(1));
    private RunResult _result = null!;
    private TelemetryListener? _listener;

    [Params(false, true)]
    public bool Listening { get; set; }

    [GlobalSetup]
    public void Listen()
    {
        _result = new RunResult(_timedOut, 4242, Outcome.TimedOut, exitCode: null, signal: 15, forcefullyKilled: false, outputIncomplete: false,
            CapturedOutput.None(Encoding.UTF8), CapturedOutput.None(Encoding.UTF8), DateTimeOffset.UtcNow, TimeSpan.FromSeconds(1.002))
        {
            Usage = new ResourceUsage(TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(2), 4 << 20, peakIsUpperBound: false),
            SignaledProcesses = 1,
        };
        if (Listening) _listener = new TelemetryListener();
    }

    [GlobalCleanup]
    public void StopListening() => _listener?.Dispose();

    [Benchmark]
    public void Hooks() => RunTelemetry.Complete(RunTelemetry.Start(_timedOut, 4242, Stopwatch.GetTimestamp()), _result, failure: null);

    [Benchmark]
    public int? RunTrue() => _true.Run().ExitCode;
}
