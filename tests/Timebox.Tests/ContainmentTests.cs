using System.Diagnostics;
using Timebox.Tests.Support;

namespace Timebox.Tests;

[Collection(RunCgroups.Collection)]
public sealed class ContainmentTests : ContainmentScenario
{
    [Fact]
    public void This_host_offers_cgroup_kill_and_containment_is_off_unless_asked()
    {
        // Kernel 6.18, root, hybrid cgroups: the otherwise empty v2 hierarchy has cgroup.kill.
        Assert.Equal(ContainmentMechanism.CgroupKill, Command.AvailableContainment);
        Assert.Equal(ContainmentMechanism.ProcessTree, Child("hold").Containment);
        Assert.Equal(ContainmentMechanism.CgroupKill, Child("hold").WithContainment().Containment);
        Assert.Equal(ContainmentMechanism.ProcessTree, Child("hold").WithContainment().WithContainment(false).Containment);
    }

    // ProcessTree is the control: without containment the daemon survives (and is killed by the test), so the test can fail.
    [Theory]
    [InlineData(ContainmentMechanism.CgroupKill)]
    [InlineData(ContainmentMechanism.CgroupSweep)]
    [InlineData(ContainmentMechanism.ProcessTree)]
    public async Task An_orphaned_daemon_dies_on_timeout_only_when_the_run_is_contained(ContainmentMechanism mechanism)
    {
        var result = await TimeOut(mechanism);

        Assert.Equal(Outcome.TimedOut, result.Outcome);
        Assert.Equal(Signals.Terminate, result.Signal);
        // Without containment the daemon still holds the pipes after the kill.
        Assert.Equal(mechanism == ContainmentMechanism.ProcessTree, result.OutputIncomplete);
        Assert.Equal(mechanism == ContainmentMechanism.ProcessTree ? 1 : 0, KillSurvivors());
        await RunCgroups.AssertNoneLeft();
    }

    [Theory]
    [InlineData(ContainmentMechanism.CgroupKill)]
    [InlineData(ContainmentMechanism.CgroupSweep)]
    [InlineData(ContainmentMechanism.ProcessTree)]
    public async Task An_orphaned_daemon_dies_on_cancellation_only_when_the_run_is_contained(ContainmentMechanism mechanism)
    {
        using var cancellation = new CancellationTokenSource();
        await using var process = DaemonTree(mechanism, "hold").WithGracePeriod(Grace).Start(cancellation.Token);
        WaitForOrphanedDaemon();

        await cancellation.CancelAsync();
        var result = await process.WaitAsync();

        Assert.Equal(Outcome.Canceled, result.Outcome);
        Assert.Equal(mechanism == ContainmentMechanism.ProcessTree ? 1 : 0, KillSurvivors());
        await RunCgroups.AssertNoneLeft();
    }

    [Theory]
    [InlineData(ContainmentMechanism.CgroupKill)]
    [InlineData(ContainmentMechanism.ProcessTree)]
    public async Task After_a_normal_exit_a_contained_run_leaves_nothing_behind(ContainmentMechanism mechanism)
    {
        var result = await ExitNormally(mechanism);

        Assert.True(result.Succeeded);
        Assert.False(result.ForcefullyKilled);
        Assert.Equal(mechanism == ContainmentMechanism.ProcessTree ? 1 : 0, KillSurvivors());
        await RunCgroups.AssertNoneLeft();
    }

    [Fact]
    public async Task A_daemon_that_ignores_the_signal_is_killed_after_the_grace_period()
    {
        var stopwatch = Stopwatch.StartNew();
        await using var process = Child("spawn", "double-fork", "[", "ignore-term", "hold", "]", "hold")
            .WithContainment().WithTimeout(Deadline).WithGracePeriod(Grace).Start();
        WaitForOrphanedDaemon();
        var result = await process.WaitAsync();

        Assert.Equal(Outcome.TimedOut, result.Outcome);
        Assert.True(result.ForcefullyKilled);
        Assert.InRange(stopwatch.Elapsed, Deadline + Grace, Deadline + Grace + TimeSpan.FromSeconds(2));
        Assert.Equal(0, KillSurvivors());
        await RunCgroups.AssertNoneLeft();
    }

    [Fact]
    public async Task A_mechanism_this_host_lacks_is_refused_before_anything_runs()
    {
        var error = await Assert.ThrowsAsync<UnsupportedOptionException>(() => Child("exit", "0").WithContainment(ContainmentMechanism.JobObject).RunAsync());

        Assert.Equal(nameof(Command.Containment), error.Option);
        Assert.Empty(LoggedProcesses);
        Assert.Throws<ArgumentOutOfRangeException>(() => Child("exit", "0").WithContainment((ContainmentMechanism)42));
    }
}
