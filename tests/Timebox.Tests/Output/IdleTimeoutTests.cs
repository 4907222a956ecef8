using System.Diagnostics;

namespace Timebox.Tests.Output;

public sealed class IdleTimeoutTests : ChildTest
{
    private Command Shell(string script) => Program("/bin/sh", "-c", script);

    // Longer than a loaded machine needs to start the TestChild: silence before the first byte counts too.
    private static readonly TimeSpan Idle = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task A_silent_program_is_terminated_when_the_configured_silence_has_passed()
    {
        await using var process = Child("print", "started", "hold").WithStdout(OutputTarget.Pipe)
            .WithIdleTimeout(Idle).WithGracePeriod(TimeSpan.Zero).WithTimeout(Generous).Start();

        var lastOutput = Stopwatch.StartNew();
        await foreach (var line in process.ReadLinesAsync()) lastOutput.Restart();
        var silence = lastOutput.Elapsed;
        var result = await process.WaitAsync();

        Assert.Equal(Outcome.IdleTimedOut, result.Outcome);
        Assert.Equal(Signals.Kill, result.Signal);
        Assert.InRange(silence, Idle - TimeSpan.FromMilliseconds(200), Idle + TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task Output_that_keeps_flowing_is_not_idle()
    {
        // A shell, not the TestChild: a .NET start-up on a loaded machine can itself be longer than the idle timeout.
        var result = await Shell("i=0; while [ $i -lt 12 ]; do echo line $i; i=$((i+1)); sleep 0.25; done").WithIdleTimeout(Idle).WithTimeout(Generous).RunAsync();

        Assert.Equal(Outcome.Exited, result.Outcome);
        Assert.Equal(12, result.Stdout.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public async Task Output_on_stderr_alone_counts_as_activity()
    {
        var result = await Shell("for x in a b c d; do echo $x >&2; sleep 0.6; done").WithIdleTimeout(Idle).WithTimeout(Generous).RunAsync();

        Assert.Equal(Outcome.Exited, result.Outcome);
    }

    [Fact]
    public async Task With_a_progress_predicate_only_matching_lines_count()
    {
        var result = await Child("print", "frame 1", "lines", "100", "50").WithStdout(OutputTarget.Capture)
            .WithIdleTimeout(Idle, line => line.StartsWith("frame", StringComparison.Ordinal)).WithTimeout(Generous).RunAsync();

        Assert.Equal(Outcome.IdleTimedOut, result.Outcome);
        Assert.InRange(result.Duration, Idle, Idle + TimeSpan.FromSeconds(4));
        Assert.StartsWith("frame 1\nline 0\n", result.Stdout.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Carriage_return_progress_updates_count_as_progress_lines()
    {
        var result = await Shell("for i in 1 2 3 4 5 6 7 8; do printf 'frame %d\\r' $i; sleep 0.3; done").WithIdleTimeout(Idle, line => line.StartsWith("frame", StringComparison.Ordinal))
            .WithTimeout(Generous).RunAsync();

        Assert.Equal(Outcome.Exited, result.Outcome);
    }

    [Fact]
    public async Task The_checked_call_throws_an_idle_timeout_exception_with_the_partial_output()
    {
        var error = await Assert.ThrowsAsync<CommandIdleTimeoutException>(() =>
            Child("print", "partial", "hold").WithIdleTimeout(Idle).WithTimeout(Generous).CheckOutputAsync());

        Assert.IsAssignableFrom<CommandTimeoutException>(error);
        Assert.Equal(Outcome.IdleTimedOut, error.Result.Outcome);
        Assert.Equal("partial\n", error.StandardOutput);
        Assert.Contains("idle", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_silent_descendant_holding_the_pipes_is_killed_too()
    {
        // The grandchild is a second .NET start-up: give it longer than Idle on a loaded machine.
        var result = await Child("spawn", "new-session", "[", "print", "grandchild", "hold", "]", "hold")
            .WithIdleTimeout(TimeSpan.FromSeconds(3)).WithGracePeriod(TimeSpan.FromMilliseconds(200)).WithTimeout(Generous).RunAsync();

        Assert.Equal(Outcome.IdleTimedOut, result.Outcome);
        Assert.Equal("grandchild\n", result.Stdout.Text);
        WaitForLoggedProcesses(2);
    }

    [Fact]
    public void An_idle_timeout_on_output_that_timebox_does_not_read_is_refused()
    {
        var command = Child("hold").WithStdout(OutputTarget.Inherit).WithStderr(OutputTarget.Discard).WithIdleTimeout(Idle);

        var error = Assert.Throws<InvalidOperationException>(() => command.Start());
        Assert.Contains("idle timeout", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => command.WithIdleTimeout(TimeSpan.Zero));
    }
}
