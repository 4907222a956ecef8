namespace Timebox.Tests;

public sealed class CheckTests : ChildTest
{
    [Fact]
    public async Task Success_returns_stdout()
    {
        Assert.Equal("fine\n", await Child("print", "fine").CheckOutputAsync());
        Assert.Equal("sync\n", Child("print", "sync").CheckOutput());
    }

    [Fact]
    public async Task A_non_zero_exit_throws_with_status_and_output()
    {
        var error = await Assert.ThrowsAsync<CommandFailedException>(() => Child("print", "out", "eprint", "why", "exit", "4").CheckOutputAsync());

        Assert.Equal(4, error.ExitCode);
        Assert.Equal("out\n", error.StandardOutput);
        Assert.Equal("why\n", error.StandardError);
        Assert.Contains("exit code 4", error.Message, StringComparison.Ordinal);
        Assert.Contains(Support.TestChild.Path, error.Message, StringComparison.Ordinal);
        Assert.Contains("why", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_signal_throws_with_the_signal()
    {
        var error = await Assert.ThrowsAsync<CommandFailedException>(() => Child("kill-self", "9").CheckOutputAsync());
        Assert.Equal(9, error.Signal);
    }

    [Fact]
    public async Task A_timeout_throws_with_the_partial_output()
    {
        var error = await Assert.ThrowsAsync<CommandTimeoutException>(() =>
            Child("print", "partial", "hold").WithTimeout(TimeSpan.FromSeconds(2)).WithGracePeriod(TimeSpan.FromMilliseconds(200)).CheckOutputAsync());

        Assert.Equal("partial\n", error.StandardOutput);
        Assert.Equal(Outcome.TimedOut, error.Result.Outcome);
        Assert.Contains("timed out", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancellation_throws_an_operation_canceled_exception_with_the_result()
    {
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var error = await Assert.ThrowsAsync<CommandCanceledException>(() =>
            Child("hold").WithGracePeriod(TimeSpan.FromMilliseconds(200)).CheckOutputAsync(cancellation.Token));

        Assert.IsAssignableFrom<OperationCanceledException>(error);
        Assert.Equal(cancellation.Token, error.CancellationToken);
        Assert.Equal(Outcome.Canceled, error.Result.Outcome);
    }
}
