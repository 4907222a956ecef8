namespace Timebox.Tests;

/// <summary>The blocking <see cref="Command.Run"/> drives its run on the calling thread: every deadline and stream must still work there.</summary>
public sealed class BlockingRunTests : ChildTest
{
    [Fact]
    public void A_blocking_run_times_out_and_terminates_the_tree()
    {
        var result = Child("spawn", "new-group", "[", "print", "grandchild", "hold", "]", "hold").WithTimeout(TimeSpan.FromSeconds(3)).WithGracePeriod(TimeSpan.FromMilliseconds(200)).Run();

        Assert.Equal(Outcome.TimedOut, result.Outcome);
        Assert.Equal("grandchild\n", result.Stdout.Text);
    }

    [Fact]
    public void A_blocking_run_is_canceled_from_another_thread()
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        var result = Child("hold").WithTimeout(Generous).Run(cancel.Token);

        Assert.Equal(Outcome.Canceled, result.Outcome);
        // The run's duration counts from the spawn, which comes after the token's timer started (by 0.2 ms once, which
        // failed a lower bound of exactly 300 ms), and that timer ticks in whole milliseconds.
        Assert.InRange(result.Duration, TimeSpan.FromMilliseconds(250), Generous);
    }

    [Fact]
    public void A_blocking_run_feeds_callbacks_and_honours_an_idle_timeout()
    {
        var lines = new List<string>();

        var result = Child("print", "one", "print", "two", "hold").WithStdout(OutputTarget.ToLines(lines.Add))
            .WithIdleTimeout(TimeSpan.FromSeconds(1)).WithTimeout(Generous).Run();

        Assert.Equal(Outcome.IdleTimedOut, result.Outcome);
        Assert.Equal(["one", "two"], lines);
    }

    [Fact]
    public async Task Blocking_runs_on_many_threads_at_once_each_get_their_own_result()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => Task.Run(() => Child("print", $"run {i}", "exit", $"{i % 3}").Run())));

        for (var i = 0; i < results.Length; i++)
        {
            Assert.Equal($"run {i}\n", results[i].Stdout.Text);
            Assert.Equal(i % 3, results[i].ExitCode);
        }
    }

    [Fact]
    public void The_checked_blocking_call_throws_with_the_partial_output()
    {
        var error = Assert.Throws<CommandTimeoutException>(() =>
            Child("print", "partial", "hold").WithTimeout(TimeSpan.FromSeconds(2)).WithGracePeriod(TimeSpan.Zero).CheckOutput());

        Assert.Equal("partial\n", error.StandardOutput);
    }
}
