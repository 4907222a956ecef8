using System.Diagnostics;
using CliWrap;
using CliWrap.Buffered;
using Shell = Medallion.Shell;

namespace Timebox.Bench;

/// <summary>One way of running "/bin/true" or capturing "echo hello", timed run by run in this process.</summary>
internal sealed record Competitor(string Name, Func<Task> RunTrue, Func<Task<string>> CaptureEcho);

internal static class Competitors
{
    private const string True = "/bin/true", Echo = "/bin/echo";

    public static IReadOnlyList<Competitor> InProcess { get; } =
    [
        new("Timebox RunAsync", () => new Command(True).RunAsync(), async () => (await new Command(Echo, "hello").RunAsync()).Stdout.Text),
        new("Timebox Run (blocking)", () => Task.FromResult(new Command(True).Run()), () => Task.FromResult(new Command(Echo, "hello").Run().Stdout.Text)),
        // Like for like: C, Process and Python make no pipe for a stream they do not read, where Timebox captures both by default.
        new("Timebox Run, pipes only where C has them", () => Task.FromResult(new Command(True).WithStdout(OutputTarget.Inherit).WithStderr(OutputTarget.Inherit).Run()),
            () => Task.FromResult(new Command(Echo, "hello").WithStderr(OutputTarget.Inherit).Run().Stdout.Text)),
        new("System.Diagnostics.Process", RunProcessTrue, CaptureProcessEcho),
        new("System.Diagnostics.Process, async waits", RunProcessTrueAsync, CaptureProcessEchoAsync),
        new("CliWrap 3.10.5", RunCliWrapTrue,
            async () => (await Cli.Wrap(Echo).WithArguments("hello").ExecuteBufferedAsync()).StandardOutput),
        new("MedallionShell 1.6.1", () => Shell.Command.Run(True).Task, async () => (await Shell.Command.Run(Echo, "hello").Task).StandardOutput),
    ];

    public static Task RunCliWrapTrue() => Cli.Wrap(True).WithValidation(CommandResultValidation.None).ExecuteAsync().Task;

    private static Task RunProcessTrue()
    {
        using var process = Process.Start(new ProcessStartInfo(True) { UseShellExecute = false })!;
        process.WaitForExit();
        return Task.CompletedTask;
    }

    private static async Task RunProcessTrueAsync()
    {
        using var process = Process.Start(new ProcessStartInfo(True) { UseShellExecute = false })!;
        await process.WaitForExitAsync();
    }

    private static Task<string> CaptureProcessEcho()
    {
        using var process = Process.Start(new ProcessStartInfo(Echo, "hello") { UseShellExecute = false, RedirectStandardOutput = true })!;
        var text = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return Task.FromResult(text);
    }

    private static async Task<string> CaptureProcessEchoAsync()
    {
        using var process = Process.Start(new ProcessStartInfo(Echo, "hello") { UseShellExecute = false, RedirectStandardOutput = true })!;
        var text = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return text;
    }
}
