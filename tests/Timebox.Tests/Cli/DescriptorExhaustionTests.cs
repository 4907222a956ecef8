using System.Diagnostics;
using System.Globalization;
using Timebox.Tests.Support;

namespace Timebox.Tests.Cli;

/// <summary>
/// Termination with no descriptor left: once the trees are running, timebox's descriptor limit is lowered under what it
/// has open (prlimit --pid, as root), so every open, pidfd and read of /proc fails with EMFILE from then on. The trees
/// ignore SIGTERM, so only the kill ends them: it must still reach every process, a group member, a process in another
/// group, an orphan in another session, leave none stopped, and the tool must still return.
/// </summary>
public sealed class DescriptorExhaustionTests : CliTest
{
    private readonly string _marker = $"1000.{Random.Shared.Next(100_000, 999_999).ToString(CultureInfo.InvariantCulture)}";

    // Sleeps that ignore TERM, each identified by its duration (the marker): one in the command's group, one below a
    // subshell, one in a group of its own and one in a session of its own. For timebox, the last is an orphan (its
    // parent exits at once: timebox adopts it as subreaper); a library run without containment could not find such an
    // orphan at all, so in a batch its parent stays.
    private string Tree(bool orphan) => $"trap '' TERM; sleep {_marker} & (sleep {_marker} & wait) & "
        + (orphan ? $"setsid -f sleep {_marker}; " : $"setsid sleep {_marker} & ")
        + $"perl -e 'setpgrp(0, 0); exec \"sleep\", \"{_marker}\"' & wait";

    [Fact]
    public async Task A_timeout_with_no_descriptor_left_still_kills_the_whole_tree_and_returns()
    {
        await using var running = Tool("timebox", "-k", "1", "2", "sh", "-c", Tree(orphan: true)).Start();
        WaitForMarked(4);
        Exhaust(running.ProcessId);
        var stopwatch = Stopwatch.StartNew();
        var result = await running.WaitAsync();

        // As GNU's after -k: the status of a command killed by SIGKILL.
        Assert.Equal(137, ShellStatus(result));
        Assert.InRange(stopwatch.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(10));
        AssertNoneLeft();
    }

    [Fact]
    public async Task A_batch_with_no_descriptor_left_still_kills_every_job_and_returns()
    {
        using var work = new BatchWorkspace();
        work.WriteJobs(Enumerable.Range(0, 6).Select(i => BatchWorkspace.Job(("id", $"j{i}"), ("shell", Tree(orphan: false)), ("timeout", "2s"), ("kill_after", "1s"))));
        await using var running = Program(TimeboxCli.Path, "batch", work.Jobs, "-j", "6").WithTimeout(TimeSpan.FromSeconds(60)).Start();
        WaitForMarked(6 * 4);
        Exhaust(running.ProcessId);
        var stopwatch = Stopwatch.StartNew();
        var result = await running.WaitAsync();

        Assert.NotEqual(Outcome.TimedOut, result.Outcome);
        Assert.InRange(stopwatch.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(20));
        AssertNoneLeft();
    }

    private List<int> Marked() =>
        Directory.EnumerateDirectories("/proc").Select(path => int.TryParse(Path.GetFileName(path), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : 0)
            .Where(pid => pid > 0 && Proc.CommandLine(pid).Contains(_marker, StringComparison.Ordinal)).ToList();

    private void WaitForMarked(int count)
    {
        var deadline = DateTime.UtcNow + Generous;
        while (Marked().Count(Proc.IsAlive) < count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"Fewer than {count} sleeps started.");
            Thread.Sleep(20);
        }
    }

    // The soft and hard limit at the highest descriptor it has open: nothing new can be opened.
    private static void Exhaust(int pid)
    {
        var highest = Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd").Select(path => int.Parse(Path.GetFileName(path), CultureInfo.InvariantCulture)).Max();
        var limit = (highest + 1).ToString(CultureInfo.InvariantCulture);
        using var prlimit = Process.Start("prlimit", ["--pid", pid.ToString(CultureInfo.InvariantCulture), $"--nofile={limit}:{limit}"]);
        prlimit.WaitForExit();
        Assert.Equal(0, prlimit.ExitCode);
    }

    private void AssertNoneLeft()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(2);
        while (Marked().Any(Proc.IsAlive) && DateTime.UtcNow < deadline) Thread.Sleep(10);
        var left = Marked().Where(Proc.IsAlive).Select(pid => (Pid: pid, State: Proc.State(pid))).ToList();
        foreach (var (pid, _) in left) Proc.Kill(pid, Proc.SIGKILL);
        Assert.True(left.Count == 0, $"left alive: {string.Join(", ", left.Select(p => $"{p.Pid} ({p.State})"))}");
    }
}
