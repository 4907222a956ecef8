using System.Diagnostics;
using System.Globalization;
using Timebox;

// Usage: Timebox.Samples.TestRunner [-j N] [--timeout SECONDS] DIRECTORY
// Runs every *.sh in DIRECTORY with /bin/sh, N at a time, each under its own deadline, and prints a summary.
// Exit status: 0 when every test passed, 1 when one did not, 2 for bad usage.

var parallelism = Environment.ProcessorCount;
var timeout = TimeSpan.FromSeconds(10);
string? directory = null;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "-j" when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var n) && n > 0:
            parallelism = n;
            i++;
            break;
        case "--timeout" when i + 1 < args.Length && double.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var seconds) && seconds > 0:
            timeout = TimeSpan.FromSeconds(seconds);
            i++;
            break;
        default:
            if (directory is not null || args[i].StartsWith('-')) return Usage();
            directory = args[i];
            break;
    }
}
if (directory is null || !Directory.Exists(directory)) return Usage();

var tests = Directory.GetFiles(directory, "*.sh").Order(StringComparer.Ordinal).ToList();
var jobs = tests.Select(path => new BatchJob(Path.GetFileName(path), new Command("/bin/sh", Path.GetFileName(path))
    .WithWorkingDirectory(directory)
    .WithStderrMerged()                                    // one log per test, in the order it was written
    .WithStdout(OutputTarget.CaptureWithLimit(64 << 10))   // a chatty test keeps its first and last 32 KiB
    .WithTimeout(timeout)
    .WithGracePeriod(TimeSpan.FromSeconds(1))));

var counts = new Dictionary<string, int> { ["passed"] = 0, ["failed"] = 0, ["timed out"] = 0 };
var clock = Stopwatch.StartNew();
var runner = new BatchRunner(new BatchOptions { MaxParallelism = parallelism });
await foreach (var test in runner.RunAsync(jobs))
{
    using var result = test.Result;
    var verdict = result switch
    {
        null => "failed",
        { Succeeded: true } => "passed",
        { Outcome: Outcome.TimedOut } => "timed out",
        _ => "failed",
    };
    counts[verdict]++;
    var detail = result switch
    {
        null => test.StartError!.Message,
        { Outcome: Outcome.TimedOut } => $"after {timeout.TotalSeconds:0.###} s, output so far:",
        { ExitCode: { } code } => $"exit {code}",
        { Signal: { } signal } => $"killed by {Signals.NameOf(signal)}",
        _ => "exit status unknown",
    };
    Console.WriteLine($"{verdict.ToUpperInvariant(),-9} {test.Job.Id} ({test.Duration.TotalSeconds:0.00} s{(verdict == "passed" ? "" : ", " + detail)})");
    if (verdict != "passed" && result is not null)
    {
        foreach (var line in result.Stdout.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            Console.WriteLine($"    | {line}");
    }
}

Console.WriteLine($"{tests.Count} tests in {clock.Elapsed.TotalSeconds:0.0} s: {counts["passed"]} passed, {counts["failed"]} failed, {counts["timed out"]} timed out");
return counts["passed"] == tests.Count ? 0 : 1;

static int Usage()
{
    Console.Error.WriteLine("usage: Timebox.Samples.TestRunner [-j N] [--timeout SECONDS] DIRECTORY");
    return 2;
}
