using System.Globalization;
using Timebox.Tests.Support;

namespace Timebox.Tests.Cli;

/// <summary>
/// Whom the first signal reaches: the command and its process group, as with GNU timeout, so that a supervisor inside
/// the command (a nested timebox or timeout, a shell with job control) handles it for its own children; and, beyond
/// GNU, orphans that nothing in the tree supervises any more. Whatever is left once the command has ended is killed.
/// The jobs are shells that log their pid when they start and "TERM"/"USR1" from their traps.
/// </summary>
public sealed class NestedSupervisorTests : CliTest, IDisposable
{
    private readonly string _log = Path.Combine(Path.GetTempPath(), $"timebox-nested-{Guid.NewGuid():N}.log");
    private readonly string _job = Path.Combine(Path.GetTempPath(), $"timebox-nested-{Guid.NewGuid():N}.sh");

    // A job script (sh JOB SIGNAL...) that traps each SIGNAL, logs it and exits 0 half a second later (so that a stray
    // signal sent meanwhile is logged too); its sleep child dies of whatever its group gets.
    private string TrappingJob()
    {
        File.WriteAllText(_job, $"for s in \"$@\"; do trap \"echo $s >> {_log}; sleep 0.5; exit 0\" $s; done; "
            + $"sleep 100 & echo \"pid $$ $!\" >> {_log}; wait\n");
        return _job;
    }

    [Theory, MemberData(nameof(BothTools))]
    public async Task A_nested_supervisor_translates_the_outer_signal_for_its_command_as_with_GNU(string tool)
    {
        // timeout -k 5 40 TOOL -s ALRM 30 TOOL -s USR1 25 job; then SIGALRM to the outer TOOL.
        var tool2 = PathOf(tool);
        await using var outer = Program(TimeboxCli.GnuTimeout, "-k", "5", "40", tool2, "-s", "14", "30", tool2, "-s", "10", "25", "sh", TrappingJob(), "USR1", "ALRM")
            .WithTimeout(TimeSpan.FromSeconds(60)).Start();
        var jobPids = WaitForJob();
        var outerTool = Assert.Single(Proc.ChildrenOf(outer.ProcessId));
        Proc.Kill(outerTool, 14);
        var result = await outer.WaitAsync();

        // GNU: the outer sends ALRM to the inner, which times out (124) and sends USR1 to the job, whose trap runs; the
        // job never sees ALRM. (USR1 may come twice, as from GNU: to the job, then to its group.)
        Assert.Equal(124, result.ExitCode);
        Assert.Equal(["USR1"], LoggedSignals().Distinct());
        AssertGone(jobPids);
    }

    [Theory, MemberData(nameof(BothTools))]
    public async Task A_job_of_a_shell_with_job_control_is_left_to_the_shell_then_killed_once_the_shell_has_ended(string tool)
    {
        // bash -c 'set -m' puts the job in a process group of its own: only its shell could pass the signal on, and this
        // one dies of it without doing so. GNU leaves the job running; timebox kills it, without a TERM it never got.
        var result = await Tool(tool, "1", "bash", "-c", $"set -m; sh {TrappingJob()} TERM & wait").RunAsync();

        Assert.Equal(124, result.ExitCode);
        Assert.Empty(LoggedSignals());
        var jobPids = WaitForJob();
        if (tool == "timebox") AssertGone(jobPids);
        else Assert.Equal(2, KillAlive(jobPids));
    }

    [Theory, MemberData(nameof(BothTools))]
    public async Task An_orphaned_setsid_escapee_gets_the_signal_from_timebox_and_is_gone(string tool)
    {
        // The subshell exits at once: the escapee, in a session of its own, is orphaned (timebox adopts it as subreaper),
        // so nothing in the tree supervises it. GNU never reaches it. The command takes a moment to end after the signal,
        // so that the escapee's trap has run before timebox kills what is left.
        var escapee = $"trap 'sleep 0.5; exit 5' TERM; (setsid sh {TrappingJob()} TERM &); sleep 100 & wait";
        await using var running = Tool(tool, "2", "sh", "-c", escapee).Start();
        var jobPids = WaitForJob();
        var result = await running.WaitAsync();

        Assert.Equal(124, result.ExitCode);
        if (tool == "timebox")
        {
            Assert.Equal(["TERM"], LoggedSignals());
            AssertGone(jobPids);
        }
        else
        {
            Assert.Empty(LoggedSignals());
            Assert.Equal(2, KillAlive(jobPids));
        }
    }

    // The job's shell and its sleep, once the job has logged them.
    private int[] WaitForJob()
    {
        var deadline = DateTime.UtcNow + Generous;
        while (true)
        {
            var line = LogLines().FirstOrDefault(l => l.StartsWith("pid ", StringComparison.Ordinal));
            if (line is not null) return line[4..].Split(' ').Select(pid => int.Parse(pid, CultureInfo.InvariantCulture)).ToArray();
            Assert.True(DateTime.UtcNow < deadline, "The job did not start.");
            Thread.Sleep(10);
        }
    }

    private List<string> LoggedSignals() => LogLines().Where(l => !l.StartsWith("pid ", StringComparison.Ordinal)).ToList();

    private string[] LogLines() => File.Exists(_log) ? File.ReadAllLines(_log) : [];

    private static void AssertGone(int[] pids)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(2);
        while (pids.Any(Proc.IsAlive) && DateTime.UtcNow < deadline) Thread.Sleep(10);
        var alive = KillAlive(pids);
        Assert.True(alive == 0, $"{alive} process(es) of the job survived");
    }

    private static int KillAlive(int[] pids) => pids.Count(pid => Proc.IsAlive(pid) && Proc.Kill(pid, Proc.SIGKILL));

    public new void Dispose()
    {
        File.Delete(_log);
        File.Delete(_job);
        base.Dispose();
    }
}
