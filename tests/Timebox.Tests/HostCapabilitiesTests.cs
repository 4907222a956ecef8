using Timebox.Tests.Support;

namespace Timebox.Tests;

[Collection(RunCgroups.Collection)]
public sealed class HostCapabilitiesTests : ContainmentScenario
{
    [Fact]
    public void The_older_members_give_the_same_answers()
    {
        Assert.Equal(HostCapabilities.BestContainment, Command.AvailableContainment);
        Assert.Equal(HostCapabilities.MemoryLimitMechanism, ResourceLimits.MemoryLimitMechanism);
        Assert.Equal(HostCapabilities.ProcessLimitMechanism, ResourceLimits.ProcessLimitMechanism);
        Assert.True(HostCapabilities.IsContainmentAvailable(HostCapabilities.BestContainment));
        Assert.True(HostCapabilities.IsContainmentAvailable(ContainmentMechanism.ProcessTree));
    }

    [Fact]
    public async Task Every_mechanism_said_to_be_missing_is_refused_before_anything_runs()
    {
        var missing = Enum.GetValues<ContainmentMechanism>().Where(mechanism => !HostCapabilities.IsContainmentAvailable(mechanism)).ToList();

        // Linux: only Windows' job object is missing (kernel 6.18, root, hybrid cgroups: both cgroup mechanisms work here).
        Assert.Equal([ContainmentMechanism.JobObject], missing);
        foreach (var mechanism in missing)
        {
            var error = await Assert.ThrowsAsync<UnsupportedOptionException>(() => Child("exit", "0").WithContainment(mechanism).RunAsync());
            Assert.Equal(nameof(Command.Containment), error.Option);
        }
        Assert.Empty(LoggedProcesses);
    }

    // ContainmentTests has the control: without containment the same daemon survives the timeout.
    [Fact]
    public async Task The_best_containment_kills_an_orphaned_daemon_on_timeout()
    {
        Assert.NotEqual(ContainmentMechanism.ProcessTree, HostCapabilities.BestContainment);

        var result = await TimeOut(HostCapabilities.BestContainment);

        Assert.Equal(Outcome.TimedOut, result.Outcome);
        Assert.False(result.OutputIncomplete);
        Assert.Equal(0, KillSurvivors());
        await RunCgroups.AssertNoneLeft();
    }
}
