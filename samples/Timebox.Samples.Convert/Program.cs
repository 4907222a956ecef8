using System.Diagnostics;
using System.Globalization;
using Timebox;

// Usage: Timebox.Samples.Convert [--encoder PROGRAM] [--stall SECONDS] [--timeout SECONDS] INPUT OUTPUT
// Runs `PROGRAM -nostdin -y -i INPUT OUTPUT` (PROGRAM: ffmpeg by default), shows its progress as it is drawn, and stops it
// when no progress line ("frame=...") has come for the stall time. Exit status: 0 converted, 1 failed or stalled, 2 bad usage.

var encoder = "ffmpeg";
var stall = TimeSpan.FromSeconds(30);
var timeout = TimeSpan.FromHours(2);
var files = new List<string>();
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--encoder" when i + 1 < args.Length:
            encoder = args[++i];
            break;
        case "--stall" when i + 1 < args.Length && TryParseSeconds(args[i + 1], out var seconds):
            stall = seconds;
            i++;
            break;
        case "--timeout" when i + 1 < args.Length && TryParseSeconds(args[i + 1], out var seconds):
            timeout = seconds;
            i++;
            break;
        default:
            if (args[i].StartsWith('-')) return Usage();
            files.Add(args[i]);
            break;
    }
}
if (files.Count != 2) return Usage();
var (input, output) = (files[0], files[1]);

var showInPlace = !Console.IsOutputRedirected;   // on a terminal, redraw one progress line as ffmpeg does
string? lastProgress = null;
var progressDrawn = false;   // a progress line is on the terminal without its newline
var clock = Stopwatch.StartNew();
RunResult result;
try
{
    await using var process = new Command(encoder, "-nostdin", "-y", "-i", input, output)
        .WithStdout(OutputTarget.Pipe).WithStderrMerged()   // ffmpeg writes its log and progress on stderr
        .WithIdleTimeout(stall, IsProgress)
        .WithTimeout(timeout)
        .Start();
    await foreach (var line in process.ReadLinesAsync())
    {
        if (IsProgress(line.Text))
        {
            lastProgress = line.Text;
            if (showInPlace) Console.Write($"\r{line.Text}");
            else Console.WriteLine($"progress: {line.Text}");
            progressDrawn = showInPlace;
        }
        else if (line.Text.Length > 0)
        {
            Console.WriteLine(progressDrawn ? $"\n{line.Text}" : line.Text);
            progressDrawn = false;
        }
    }
    result = await process.WaitAsync();
}
catch (CommandStartException e)
{
    Console.Error.WriteLine($"convert: {e.Message}");
    return 1;
}
if (progressDrawn) Console.WriteLine();

using (result)
{
    if (result.Succeeded)
    {
        Console.WriteLine($"converted {input} to {output} in {clock.Elapsed.TotalSeconds:0.0} s");
        return 0;
    }
    Console.Error.WriteLine(result.Outcome switch
    {
        Outcome.IdleTimedOut => $"convert: stalled: no progress for {stall.TotalSeconds:0.###} s after '{lastProgress ?? "(none)"}'; the encoder was stopped",
        Outcome.TimedOut => $"convert: gave up after {timeout.TotalSeconds:0.###} s; the encoder was stopped",
        _ when result.ExitCode is { } code => $"convert: {encoder} failed with exit code {code}",
        _ => $"convert: {encoder} ended by signal {(result.Signal is { } signal ? Signals.NameOf(signal) : "unknown")}",
    });
    File.Delete(output);   // never leave a truncated file that looks like a result
    return 1;
}

static bool IsProgress(string line) => line.StartsWith("frame=", StringComparison.Ordinal);

static bool TryParseSeconds(string text, out TimeSpan value)
{
    var ok = double.TryParse(text, CultureInfo.InvariantCulture, out var seconds) && seconds > 0;
    value = ok ? TimeSpan.FromSeconds(seconds) : default;
    return ok;
}

static int Usage()
{
    Console.Error.WriteLine("usage: Timebox.Samples.Convert [--encoder PROGRAM] [--stall SECONDS] [--timeout SECONDS] INPUT OUTPUT");
    return 2;
}
