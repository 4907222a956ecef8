using Timebox.Tests.Support;

namespace Timebox.Tests;

/// <summary>
/// The escapee full containment is for: a daemon started by a double fork (the intermediate starts it in a new session
/// and exits at once), so that it has left the process group and its parent is gone before Timebox looks for it. It
/// inherits, and holds, the output pipes, as a careless daemon does.
/// </summary>
public abstract class ContainmentScenario : ChildTest
{
    protected static readonly TimeSpan Deadline = TimeSpan.FromSeconds(5);
    protected static readonly TimeSpan Grace = TimeSpan.FromMilliseconds(500);

    /// <summary>The leader starts the daemon by a double fork, then does <paramref name="leaderActions"/>.</summary>
    protected Command DaemonTree(ContainmentMechanism mechanism, params string[] leaderActions) =>
        Child(["spawn", "double-fork", "[", "hold", "]", .. leaderActions]).WithContainment(mechanism);

    /// <summary>
    /// Waits until the intermediate has exited and the daemon has left the leader's process group (it logs itself before its
    /// setsid), and checks that the daemon was reparented away from the tree.
    /// </summary>
    protected void WaitForOrphanedDaemon()
    {
        // Each TestChild logs itself first thing: the leader, then the intermediate, then the daemon it starts.
        WaitForLoggedProcesses(3);
        var logged = LoggedProcesses;
        var (leader, intermediate, daemon) = (logged[0].Pid, logged[1], logged[2].Pid);
        var deadline = DateTime.UtcNow + Generous;
        while (Proc.IsSameAndAlive(intermediate.Pid, intermediate.StartTime) || Proc.GroupOf(daemon) == leader)
        {
            Assert.True(DateTime.UtcNow < deadline, "The intermediate of the double fork did not exit, or the daemon did not leave the group.");
            Thread.Sleep(10);
        }
        Assert.NotEqual(leader, Proc.ParentOf(daemon));
        Assert.NotEqual(intermediate.Pid, Proc.ParentOf(daemon));
    }

    /// <summary>Runs the daemon tree to its deadline once the daemon is orphaned; returns the result.</summary>
    protected async Task<RunResult> TimeOut(ContainmentMechanism mechanism)
    {
        await using var process = DaemonTree(mechanism, "hold").WithTimeout(Deadline).WithGracePeriod(Grace).Start();
        WaitForOrphanedDaemon();
        Assert.False(process.HasEnded, "The deadline passed before the daemon was orphaned: the test would prove nothing.");
        return await process.WaitAsync();
    }

    /// <summary>Lets the leader exit by itself (code 0) once the daemon is orphaned; returns the result.</summary>
    protected async Task<RunResult> ExitNormally(ContainmentMechanism mechanism)
    {
        await using var process = DaemonTree(mechanism, "sleep", "3000").WithDrainTimeout(TimeSpan.FromMilliseconds(300)).Start();
        WaitForOrphanedDaemon();
        Assert.False(process.HasEnded, "The leader exited before the daemon was orphaned: the test would prove nothing.");
        return await process.WaitAsync();
    }
}
