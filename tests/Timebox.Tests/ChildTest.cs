using Timebox.Tests.Support;

namespace Timebox.Tests;

/// <summary>
/// Base of every test that spawns: commands built with <see cref="Child"/> log each TestChild process they start,
/// and disposal proves that none of them is still alive.
/// </summary>
public abstract class ChildTest : IDisposable
{
    private readonly PidLog _pids = new();

    protected static readonly TimeSpan Generous = TimeSpan.FromSeconds(10);

    /// <summary>A command running the TestChild with the given actions, logging its pids.</summary>
    protected Command Child(params string[] actions) =>
        new Command(TestChild.Path, actions).WithEnvironment(_pids.Environment.Name, _pids.Environment.Value);

    /// <summary>A system program run with the pid log set (its TestChild descendants, if any, are checked).</summary>
    protected Command Program(string program, params string[] arguments) =>
        new Command(program, arguments).WithEnvironment(_pids.Environment.Name, _pids.Environment.Value);

    protected IReadOnlyList<(int Pid, long StartTime)> LoggedProcesses => _pids.ReadAll();

    /// <summary>Kills what a tool left running on purpose (GNU timeout's escapees) and returns how many there were.</summary>
    protected int KillSurvivors() => _pids.KillSurvivors();

    /// <summary>Waits (bounded) until at least <paramref name="count"/> TestChild processes have started.</summary>
    protected void WaitForLoggedProcesses(int count)
    {
        var deadline = DateTime.UtcNow + Generous;
        while (LoggedProcesses.Count < count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"Fewer than {count} TestChild processes started within {Generous}.");
            Thread.Sleep(10);
        }
    }

    public void Dispose()
    {
        try
        {
            _pids.AssertNoSurvivors();
        }
        finally
        {
            _pids.Dispose();
        }
        GC.SuppressFinalize(this);
    }
}
