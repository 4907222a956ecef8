using System.Diagnostics;
using Timebox.Tests.Support;

namespace Timebox.Tests.Cookbook;

/// <summary>
/// Runs each C# recipe of docs/cookbook.md (the code of <see cref="Recipes"/>) against misbehaving TestChild trees and asserts what
/// the cookbook says it guarantees. Every test proves on disposal that nothing it started is alive (the cookbook's "nothing survives").
/// </summary>
public sealed class RecipeTests : ContainmentScenario
{
    private static readonly TimeSpan Stall = TimeSpan.FromSeconds(1);

    // Long enough for a loaded machine to start a TestChild and let it ignore SIGTERM before the deadline.
    private static readonly TimeSpan UntilReady = TimeSpan.FromSeconds(4);

    private static readonly TimeSpan ShortGrace = TimeSpan.FromMilliseconds(500);

    // What the call may take beyond deadline + grace: the /proc scans, the post-kill drain, a loaded machine.
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(3);

    /// <summary>A shell script run by /bin/sh with the TestChild as $0, so that its "$0 ACTION..." children are logged.</summary>
    private Command Script(string script) => Program("/bin/sh", "-c", script, TestChild.Path);

    /// <summary>
    /// Runs a blocking recipe on another thread and returns once <paramref name="processes"/> TestChild processes have started,
    /// checking that the deadline has not passed before the tree the test is about was there.
    /// </summary>
    private Task<T> Started<T>(Func<T> recipe, int processes) => Started(() => Task.FromResult(recipe()), processes);

    private Task<T> Started<T>(Func<Task<T>> recipe, int processes)
    {
        var run = Task.Run(recipe);
        WaitForLoggedProcesses(processes);
        Assert.False(run.IsCompleted, "The deadline passed before the whole tree had started: the test would prove nothing.");
        return run;
    }

    [Fact]
    public void Run_with_timeout_returns_the_exit_of_a_command_that_ends_in_time()
    {
        using var result = Recipes.RunWithTimeout(Child("print", "Process started", "print", "Process finished"), Generous);

        Assert.Equal(Outcome.Exited, result.Outcome);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("Process started\nProcess finished\n", result.Stdout.Text);
    }

    [Fact]
    public async Task Run_with_timeout_terminates_the_shell_and_its_children_with_SIGTERM()
    {
        var stopwatch = Stopwatch.StartNew();
        using var result = await Started(() => Recipes.RunWithTimeout(
            Child("print", "Process started", "spawn", "same-group", "[", "hold", "]", "hold"), UntilReady), 2);

        Assert.Equal(Outcome.TimedOut, result.Outcome);
        Assert.Equal(Signals.Terminate, result.Signal);
        Assert.False(result.ForcefullyKilled);
        Assert.Equal("Process started\n", result.Stdout.Text);
        Assert.InRange(stopwatch.Elapsed, UntilReady, UntilReady + Slack);
    }

    [Fact]
    public async Task Run_with_timeout_kills_a_program_that_ignores_SIGTERM_after_the_grace_period()
    {
        var stopwatch = Stopwatch.StartNew();
        using var result = await Started(() => Recipes.RunWithTimeout(Child("ignore-term", "print", "ready", "hold").WithGracePeriod(ShortGrace), UntilReady), 1);

        Assert.Equal("ready\n", result.Stdout.Text);
        Assert.Equal(Outcome.TimedOut, result.Outcome);
        Assert.Equal(Signals.Kill, result.Signal);
        Assert.True(result.ForcefullyKilled);
        Assert.InRange(stopwatch.Elapsed, UntilReady + ShortGrace, UntilReady + ShortGrace + Slack);
    }

    [Fact]
    public void Check_output_merges_stderr_into_the_text_it_returns()
    {
        Assert.Equal("out\nerr\n", Recipes.CheckOutput(Child("print", "out", "eprint", "err"), Generous));
    }

    [Fact]
    public void Check_output_throws_for_a_non_zero_exit_with_the_exit_code_and_the_output()
    {
        var error = Assert.Throws<CommandFailedException>(() => Recipes.CheckOutput(Child("eprint", "boom", "exit", "3"), Generous));

        Assert.IsNotAssignableFrom<CommandTimeoutException>(error);
        Assert.Equal(3, error.ExitCode);
        Assert.Equal("boom\n", error.StandardOutput);
    }

    [Fact]
    public async Task Check_output_returns_after_the_grace_period_with_a_grandchild_in_another_session_holding_the_pipe_and_kills_it()
    {
        var stopwatch = Stopwatch.StartNew();
        var error = await Started(() => Assert.Throws<CommandTimeoutException>(() => Recipes.CheckOutput(
            Child("print", "partial", "spawn", "new-session", "[", "hold", "]", "hold").WithGracePeriod(ShortGrace), UntilReady)), 2);

        Assert.Equal("partial\n", error.StandardOutput);
        Assert.Equal(Signals.Terminate, error.Signal);
        Assert.InRange(stopwatch.Elapsed, UntilReady, UntilReady + ShortGrace + Slack);
        error.Result.Dispose();
    }

    [Fact]
    public async Task Timer_kill_reports_the_timeout_and_does_not_wait_for_a_grandchild_that_holds_the_pipes()
    {
        var stopwatch = Stopwatch.StartNew();
        var (exitCode, stdout, stderr, timedOut) = await Started(() => Recipes.RunWithTimer(
            Child("print", "partial", "eprint", "warning", "spawn", "same-group", "[", "hold", "]", "hold"), UntilReady), 2);

        Assert.True(timedOut);
        Assert.Null(exitCode);
        Assert.Equal("partial\n", stdout);
        Assert.Equal("warning\n", stderr);
        Assert.InRange(stopwatch.Elapsed, UntilReady, UntilReady + Slack);
        Assert.Equal((0, "done\n", "", false), Recipes.RunWithTimer(Child("print", "done"), Generous));
    }

    [Fact]
    public async Task Alarm_free_deadlines_run_side_by_side_on_any_thread_and_reach_descendants_below_the_children()
    {
        // Each tree is three deep, each level in a session of its own: `ps --ppid` would list the child only.
        var commands = Enumerable.Range(0, 3).Select(i => Script(
            $"echo job {i}; setsid sh -c 'setsid \"$0\" hold & wait' \"$0\" & wait").WithGracePeriod(ShortGrace)).ToList();

        var stopwatch = Stopwatch.StartNew();
        var results = await Started(() => Recipes.RunEach(commands, UntilReady), 3);

        Assert.All(results, r => Assert.Equal(Outcome.TimedOut, r.Outcome));
        Assert.Equal(Enumerable.Range(0, 3).Select(i => $"job {i}\n"), results.Select(r => r.Stdout.Text));
        Assert.InRange(stopwatch.Elapsed, UntilReady, UntilReady + ShortGrace + Slack);
        foreach (var result in results) result.Dispose();
    }

    [Fact]
    public async Task Tree_kill_with_containment_reaches_a_daemon_whose_parent_is_gone()
    {
        // The daemon double-forks out of the tree before the deadline; without containment it survives (README, Known limits).
        var run = Task.Run(() => Recipes.RunContained(DaemonTree(ContainmentMechanism.ProcessTree, "print", "started", "hold"), Deadline));
        WaitForOrphanedDaemon();
        Assert.False(run.IsCompleted, "The deadline passed before the daemon was orphaned: the test would prove nothing.");
        using var result = await run;

        Assert.Equal(Outcome.TimedOut, result.Outcome);
        Assert.Equal("started\n", result.Stdout.Text);
        Assert.False(result.OutputIncomplete);
    }

    [Fact]
    public async Task Spill_keeps_megabytes_from_both_streams_in_unnamed_temporary_files_without_a_deadlock()
    {
        const int Size = 3_000_000;
        using var result = await Started(() => Recipes.RunWithBigOutput(Child("out", $"{Size}", "err", $"{Size}", "hold").WithGracePeriod(TimeSpan.Zero), UntilReady), 1);

        Assert.Equal(Outcome.TimedOut, result.Outcome);
        Assert.Equal(Size, result.Stdout.Length);
        Assert.Equal(Size, result.Stderr.Length);
        Assert.True(result.Stdout.IsSpilled);
        Assert.True(result.Stderr.IsSpilled);
        Assert.StartsWith("abcdefghijklmnopqrstuvwxyzabc", result.Stdout.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stream_delivers_each_line_as_it_comes_tagged_with_its_stream_until_the_deadline()
    {
        var lines = new List<OutputLine>();
        using var result = await Started(() => Recipes.StreamWithDeadline(Child("print", "first", "eprint", "warning", "lines", "1000000", "20"), UntilReady, lines.Add), 1);

        Assert.Equal(Outcome.TimedOut, result.Outcome);
        Assert.Equal(new OutputLine(OutputSource.Stdout, "first", LineEnding.LineFeed), lines[0]);
        Assert.Contains(new OutputLine(OutputSource.Stderr, "warning", LineEnding.LineFeed), lines);
        var numbered = lines.Where(line => line.Text.StartsWith("line ", StringComparison.Ordinal)).Select(line => line.Text).ToList();
        Assert.NotEmpty(numbered);
        Assert.Equal(Enumerable.Range(0, numbered.Count).Select(i => $"line {i}"), numbered);
    }

    [Fact]
    public async Task Partial_output_includes_what_the_program_wrote_while_it_shut_down()
    {
        var output = await Started(() => Recipes.OutputBeforeTimeout(Script("trap 'echo cleaning up; exit 1' TERM; echo started; \"$0\" hold & wait"), UntilReady), 1);

        Assert.Equal("started\ncleaning up\n", output);
    }

    [Fact]
    public async Task Partial_output_is_null_when_the_command_ends_in_time()
    {
        Assert.Null(await Recipes.OutputBeforeTimeout(Child("print", "all"), Generous));
    }

    [Fact]
    public async Task Wait_or_terminate_says_which_action_ended_the_run()
    {
        Assert.Equal("completed, exit code 4", Recipes.WaitOrTerminate(Child("exit", "4"), Generous, ShortGrace));
        Assert.Equal("terminated", await Started(() => Recipes.WaitOrTerminate(Child("hold"), UntilReady, ShortGrace), 2));
        Assert.Equal("terminated, then killed", await Started(() => Recipes.WaitOrTerminate(Child("ignore-term", "hold"), UntilReady, ShortGrace), 3));
    }

    [Fact]
    public async Task Pool_gives_each_job_its_own_deadline_and_reports_each_outcome()
    {
        var jobs = new List<(string, Command)>
        {
            ("quick", Child("print", "done")),
            ("stuck", Child("hold")),
            ("failing", Child("exit", "2")),
            ("stuck-tree", Child("spawn", "new-session", "[", "hold", "]", "hold").WithGracePeriod(ShortGrace)),
        };

        var outcomes = await Recipes.RunPool(jobs, workers: 2, timeoutPerJob: UntilReady);

        Assert.Equal(Outcome.Exited, outcomes["quick"]);
        Assert.Equal(Outcome.Exited, outcomes["failing"]);
        Assert.Equal(Outcome.TimedOut, outcomes["stuck"]);
        Assert.Equal(Outcome.TimedOut, outcomes["stuck-tree"]);
    }

    [Fact]
    public async Task Idle_timeout_passes_progress_as_it_is_drawn_and_ends_a_stalled_conversion()
    {
        // An ffmpeg stand-in: progress redrawn with \r on stderr, then a stall in which it still prints, but no progress.
        var progress = new List<string>();
        var stopwatch = Stopwatch.StartNew();
        using var result = await Recipes.Transcode(
            Script("for i in 1 2 3; do printf 'frame=%d\\r' $i >&2; done; while :; do echo 'warning: retrying'; sleep 0.2; done"),
            Stall, progress.Add);

        Assert.Equal(Outcome.IdleTimedOut, result.Outcome);
        Assert.Equal(["frame=1", "frame=2", "frame=3"], progress.Take(3));
        Assert.Contains("warning: retrying", progress);
        Assert.InRange(stopwatch.Elapsed, Stall, Stall + Slack);
    }

    [Fact]
    public async Task Idle_timeout_lets_a_conversion_that_keeps_progressing_finish()
    {
        var progress = new List<string>();
        using var result = await Recipes.Transcode(Script("for i in 1 2 3 4 5 6; do printf 'frame=%d\\r' $i >&2; sleep 0.3; done"), Stall, progress.Add);

        Assert.Equal(Outcome.Exited, result.Outcome);
        Assert.Equal(Enumerable.Range(1, 6).Select(i => $"frame={i}"), progress);
    }

    [Fact]
    public async Task Taskkill_equivalent_kills_the_whole_tree_at_once_when_the_deadline_passes()
    {
        var stopwatch = Stopwatch.StartNew();
        using var result = await Started(() => Recipes.RunThenKillTree(Child("spawn", "new-session", "[", "ignore-term", "hold", "]", "hold"), UntilReady), 2);

        Assert.Equal(Outcome.TimedOut, result.Outcome);
        Assert.Equal(Signals.Kill, result.Signal);
        Assert.InRange(stopwatch.Elapsed, UntilReady, UntilReady + Slack);
    }

    [Fact]
    public async Task Async_run_ends_the_tree_when_canceled_and_says_so()
    {
        using var cancel = new CancellationTokenSource();
        var run = Recipes.RunAsync(Child("print", "started", "spawn", "same-group", "[", "hold", "]", "hold"), Generous, cancel.Token);
        WaitForLoggedProcesses(2);
        await cancel.CancelAsync();
        using var result = await run;

        Assert.Equal(Outcome.Canceled, result.Outcome);
        Assert.Equal(Signals.Terminate, result.Signal);
    }
}
