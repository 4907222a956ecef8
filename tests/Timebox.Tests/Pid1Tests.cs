using Timebox.Tests.Support;

namespace Timebox.Tests;

public sealed class Pid1Tests : ChildTest
{
    [Fact]
    public async Task Exit_statuses_stay_exact_when_the_host_is_pid_1_and_the_runtime_reaps_every_child()
    {
        var result = await Program("unshare", "--pid", "--fork", "--mount-proc", TestChild.Sibling("Timebox.Pid1Host"))
            .WithTimeout(TimeSpan.FromSeconds(60)).RunAsync();

        Assert.True(result.Succeeded, result.Stderr.Text);
        var lines = result.Stdout.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("pid=1", lines[0]);
        // The children end within microseconds of their start ('kill -9 $$'): the pidfd must come from the spawn
        // itself, or the runtime reaps some of them before Timebox holds them and their statuses are lost.
        var expected = Enumerable.Range(0, 30).Select(i => i % 3 == 2 ? "signal 9" : $"exit {i}");
        Assert.Equal(expected, lines.Skip(1));
    }
}
