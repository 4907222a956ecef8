namespace Timebox.Tests.Output;

public sealed class CaptureLimitTests : ChildTest
{
    [Fact]
    public async Task A_gigabyte_through_a_64_MiB_cap_keeps_the_exact_head_and_tail()
    {
        const long total = 1L << 30, cap = 64L << 20;
        using var result = await Child("out", total.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .WithStdout(OutputTarget.CaptureWithLimit(cap)).WithTimeout(TimeSpan.FromMinutes(2)).RunAsync();

        Assert.Equal(Outcome.Exited, result.Outcome);
        Assert.Equal(cap, result.Stdout.Length);
        Assert.Equal(total, result.Stdout.TotalBytes);
        Assert.Equal(total - cap, result.Stdout.DroppedBytes);
        Assert.True(result.Stdout.IsTruncated);
        Assert.Equal(cap / 2, result.Stdout.HeadLength);
        var kept = result.Stdout.ToArray();
        Assert.True(kept.AsSpan(0, (int)(cap / 2)).SequenceEqual(StreamingTests.Pattern(0, (int)(cap / 2))), "head differs");
        Assert.True(kept.AsSpan((int)(cap / 2)).SequenceEqual(StreamingTests.Pattern(total - (cap / 2), (int)(cap / 2))), "tail differs");
    }

    [Fact]
    public async Task Head_and_tail_sizes_are_configurable()
    {
        using var result = await Child("out", "1000").WithStdout(OutputTarget.CaptureWithLimit(100, headBytes: 10)).RunAsync();

        Assert.Equal(StreamingTests.Pattern(0, 10).Concat(StreamingTests.Pattern(910, 90)), result.Stdout.ToArray());
        Assert.Equal(900, result.Stdout.DroppedBytes);
        Assert.Equal(Outcome.Exited, result.Outcome);
    }

    [Fact]
    public async Task Output_under_the_limit_is_kept_whole()
    {
        using var result = await Child("print", "small").WithStdout(OutputTarget.CaptureWithLimit(1000)).RunAsync();

        Assert.Equal("small\n", result.Stdout.Text);
        Assert.False(result.Stdout.IsTruncated);
        Assert.Equal(0, result.Stdout.DroppedBytes);
    }

    [Fact]
    public async Task Exceeding_a_limit_can_stop_the_program_with_its_own_outcome()
    {
        var command = Child("out", "100000", "hold").WithStderr(OutputTarget.CaptureWithLimit(1 << 20))
            .WithStdout(OutputTarget.CaptureWithLimit(4096, whenExceeded: OutputLimitAction.Terminate)).WithTimeout(Generous);

        using var result = await command.RunAsync();
        var error = await Assert.ThrowsAsync<CommandOutputLimitException>(() => command.CheckOutputAsync());

        Assert.Equal(Outcome.OutputLimitExceeded, result.Outcome);
        Assert.Equal(Signals.Terminate, result.Signal);
        Assert.Equal(4096, result.Stdout.Length);
        Assert.True(result.Stdout.DroppedBytes > 0);
        Assert.Equal(Outcome.OutputLimitExceeded, error.Result.Outcome);
        Assert.Contains("output limit", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Nonsensical_limits_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => OutputTarget.CaptureWithLimit(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => OutputTarget.CaptureWithLimit(10, headBytes: 11));
        Assert.Throws<ArgumentOutOfRangeException>(() => OutputTarget.CaptureWithLimit(10, headBytes: -1));
        Assert.Throws<ArgumentException>(() => OutputTarget.Tee(OutputTarget.Capture, OutputTarget.CaptureWithLimit(10)));
        Assert.Throws<ArgumentException>(() => OutputTarget.Tee(OutputTarget.Capture, OutputTarget.Discard));
    }
}
