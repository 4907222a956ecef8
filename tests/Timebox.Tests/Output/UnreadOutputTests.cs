using System.Diagnostics;
using Timebox.Tests.Support;

namespace Timebox.Tests.Output;

/// <summary>
/// A run whose processes are all gone completes whatever its consumer has left unread in a piped stream (issue 15): the
/// pipes hold all there will be, so waiting for a reader that may never come, or for the grace period, only delays the
/// result. What the consumer has not read stays readable, to the last byte.
/// </summary>
public sealed class UnreadOutputTests : ChildTest
{
    private static readonly TimeSpan LongGrace = TimeSpan.FromSeconds(20);

    [Theory]
    [InlineData("head -c 1000000000 /dev/zero")]
    [InlineData("head -c 1000000000 /dev/zero & head -c 1000000000 /dev/zero; wait")]
    public async Task A_timed_out_run_whose_pipe_nobody_reads_completes_once_its_processes_are_gone(string script)
    {
        // The writers fill the pipe and the queue within moments (a shell starts in a millisecond or two, where the
        // TestChild could take longer than the deadline on a loaded machine), then block in write until SIGTERM ends them.
        await using var process = Program("sh", "-c", script).WithStdout(OutputTarget.Pipe)
            .WithTimeout(TimeSpan.FromSeconds(1)).WithGracePeriod(LongGrace).Start();
        var clock = Stopwatch.StartNew();
        var result = await process.WaitAsync().WaitAsync(LongGrace);
        var elapsed = clock.Elapsed;
        var survivors = Proc.LiveMembersOf(process.ProcessId);

        Assert.Empty(survivors);
        Assert.Equal(Outcome.TimedOut, result.Outcome);
        Assert.Equal(Signals.Terminate, result.Signal);
        Assert.False(result.ForcefullyKilled);
        Assert.InRange(elapsed, TimeSpan.Zero, LongGrace / 4);
        var unread = await CountToEnd(process.StandardOutput!);
        Assert.InRange(unread, 1L << 20, 1L << 30);
    }

    [Fact]
    public async Task A_run_that_exited_completes_though_its_pipe_is_unread_and_every_byte_stays_readable()
    {
        // Past the queue's high-water mark (1 MiB) reading pauses; the rest fits in the pipe, so the child can exit.
        const long size = (1 << 20) + 40_000;
        await using var process = Child("out", size.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .WithStdout(OutputTarget.Pipe).Start();
        var result = await process.WaitAsync().WaitAsync(Generous);

        Assert.Equal(Outcome.Exited, result.Outcome);
        Assert.False(result.OutputIncomplete);
        Assert.Equal(size, await CountToEnd(process.StandardOutput!));
    }

    private static async Task<long> CountToEnd(Stream stream)
    {
        var buffer = new byte[1 << 16];
        long total = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer).AsTask().WaitAsync(Generous)) > 0) total += read;
        return total;
    }
}
