using Timebox.Tests.Support;

namespace Timebox.Tests;

/// <summary>
/// Containment by subreaper makes this whole test process a subreaper while the run lives: orphans of other tests' runs
/// would be adopted too, and left as zombies here. So these run alone.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class SubreaperContainmentTests : ContainmentScenario
{
    [Fact]
    public async Task An_orphaned_daemon_is_adopted_recognised_killed_on_timeout_and_reaped()
    {
        var result = await TimeOut(ContainmentMechanism.Subreaper);

        Assert.Equal(Outcome.TimedOut, result.Outcome);
        Assert.False(result.OutputIncomplete);
        Assert.Equal(0, KillSurvivors());
        await AssertNoZombieChildren();
    }

    [Fact]
    public async Task After_a_normal_exit_the_adopted_daemon_is_killed_and_reaped()
    {
        var result = await ExitNormally(ContainmentMechanism.Subreaper);

        Assert.True(result.Succeeded);
        Assert.Equal(0, KillSurvivors());
        await AssertNoZombieChildren();
    }

    [Fact]
    public async Task The_marker_is_in_the_environment_of_a_contained_run_only()
    {
        var contained = await Child("print-env", "TIMEBOX_RUN_ID").WithContainment(ContainmentMechanism.Subreaper).WithTimeout(Generous).CheckOutputAsync();
        var plain = await Child("print-env", "TIMEBOX_RUN_ID").WithTimeout(Generous).CheckOutputAsync();

        Assert.StartsWith($"{Environment.ProcessId}.", contained, StringComparison.Ordinal);
        Assert.Equal("<unset>\n", plain);
    }

    // Reaping happens on Timebox's event loop once the killed processes have ended.
    private static async Task AssertNoZombieChildren()
    {
        var deadline = DateTime.UtcNow + Generous;
        while (Proc.ZombieChildren() is { Count: > 0 } zombies)
        {
            Assert.True(DateTime.UtcNow < deadline, $"zombie children left: {string.Join(", ", zombies)}");
            await Task.Delay(20);
        }
    }
}
