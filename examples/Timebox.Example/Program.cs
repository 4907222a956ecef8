using Timebox;

// Usage: dotnet run --project examples/Timebox.Example -- SECONDS PROGRAM [ARGS...]
// Runs PROGRAM under a deadline of SECONDS, prints what it wrote and why it ended.
if (args.Length < 2 || !double.TryParse(args[0], System.Globalization.CultureInfo.InvariantCulture, out var seconds))
{
    Console.Error.WriteLine("usage: Timebox.Example SECONDS PROGRAM [ARGS...]");
    return 2;
}

var result = await new Command(args[1], args[2..])
    .WithTimeout(TimeSpan.FromSeconds(seconds))
    .WithGracePeriod(TimeSpan.FromSeconds(1))
    .RunAsync();

Console.Write(result.Stdout.Text);
Console.Error.Write(result.Stderr.Text);
Console.WriteLine($"outcome: {result.Outcome}, exit code: {result.ExitCode?.ToString() ?? "-"}, signal: {result.Signal?.ToString() ?? "-"}, " +
                  $"forcefully killed: {result.ForcefullyKilled}, duration: {result.Duration.TotalMilliseconds:0} ms");
return result.Outcome == Outcome.TimedOut ? 124 : result.ExitCode ?? 128 + (result.Signal ?? 0);
