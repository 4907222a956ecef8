using System.Globalization;

namespace Timebox.Tests;

/// <summary>What the child starts with: its own process group, default signal dispositions, an empty mask, only fds 0-2.</summary>
public sealed class ChildEnvironmentTests : ChildTest
{
    [Fact]
    public async Task The_child_leads_its_own_process_group()
    {
        var result = await Child("print-pid", "print-pgid").RunAsync();
        var lines = result.Stdout.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(lines[0], lines[1]);
        Assert.Equal(result.ProcessId.ToString(CultureInfo.InvariantCulture), lines[0]);
        Assert.NotEqual(Environment.ProcessId.ToString(CultureInfo.InvariantCulture), lines[1]);
    }

    [Fact]
    public async Task No_signal_is_ignored_or_blocked_in_the_child()
    {
        // The .NET host ignores SIGPIPE; a child of System.Diagnostics.Process inherits that. Ours must not.
        var status = (await new Command("cat", "/proc/self/status").RunAsync()).Stdout.Text;

        Assert.Contains("SigIgn:\t0000000000000000", status, StringComparison.Ordinal);
        Assert.Contains("SigBlk:\t0000000000000000", status, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_writer_into_a_closed_pipe_dies_of_sigpipe()
    {
        await using var process = Program("yes").WithStdout(OutputTarget.Pipe).Start();
        var buffer = new byte[4096];
        Assert.True(await process.StandardOutput!.ReadAsync(buffer) > 0);
        await process.StandardOutput.DisposeAsync();

        var result = await process.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.NotNull(result);
        Assert.Equal(Outcome.Signaled, result.Outcome);
        Assert.Equal(Signals.Pipe, result.Signal);
    }

    [Fact]
    public async Task Only_the_three_standard_descriptors_are_inherited()
    {
        // ls opens one descriptor of its own (3) to read the directory.
        var listing = (await new Command("ls", "/proc/self/fd").RunAsync()).Stdout.Text;
        var fds = listing.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();

        Assert.Subset(new HashSet<int> { 0, 1, 2, 3 }, fds.ToHashSet());
    }
}
