using System.Globalization;
using Timebox.Output;

namespace Timebox.Tests.Units;

/// <summary>
/// <see cref="Execution.RunStateMachine{TReader}"/> on a <see cref="FakeRun"/>: the phases, the termination sequence, the
/// drain and the result, step by step on a manual clock. Each test states what the machine asked of the platform and
/// when (<see cref="FakeRun.Events"/>, "seconds what"), and what it reported.
/// </summary>
[Trait("Category", "Unit")]
public sealed class RunStateMachineTests
{
    private const int Term = Signals.Terminate, Kill = Signals.Kill;

    private readonly ManualClock _clock = new();

    private static Command Program => new("program");

    // ---- the termination sequence ----

    // grace: seconds, -1 for none (Timeout.InfiniteTimeSpan). Events after "0 watch", joined with '|'.
    [Theory]
    [InlineData(5, "10 graceful 15|15 kill")]
    [InlineData(0.5, "10 graceful 15|10.5 kill")]
    [InlineData(0, "10 kill")]
    [InlineData(-1, "10 graceful 15")]
    public void The_deadline_sends_the_signal_then_the_kill_after_the_grace_period(double grace, string expected)
    {
        var run = Start(Program.WithTimeout(TimeSpan.FromSeconds(10)).WithGracePeriod(Seconds(grace)));
        _clock.Advance(9.999);
        Assert.Equal(["0 watch"], run.Events);
        _clock.Advance(86_400);
        Assert.Equal(["0 watch", .. expected.Split('|')], run.Events);
        Assert.False(run.Completion.IsCompleted);
    }

    [Fact]
    public void A_killed_tree_ends_the_run_once_the_leader_is_gone_and_its_pipes_are_closed()
    {
        var run = Start(Program.WithTimeout(TimeSpan.FromSeconds(10)).WithGracePeriod(TimeSpan.FromSeconds(5)));
        _clock.Advance(15);
        run.KillLands(forced: true);
        run.Dies(Kill);
        run.Closes(run.Out!);
        Assert.False(run.Completion.IsCompleted);
        run.Closes(run.Err!);

        var result = run.Result;
        Assert.Equal(["0 watch", "10 graceful 15", "15 kill", "15 release"], run.Events);
        Assert.Equal((Outcome.TimedOut, null, Kill, true, false), (result.Outcome, result.ExitCode, result.Signal, result.ForcefullyKilled, result.OutputIncomplete));
        Assert.Equal(TimeSpan.FromSeconds(15), result.Duration);
        Assert.Empty(_clock.Pending);
    }

    [Fact]
    public void The_deadline_counts_from_the_spawn_not_from_the_first_step()
    {
        var run = FakeRun.Start(Program.WithTimeout(TimeSpan.FromSeconds(10)), _clock, firstStepAfter: TimeSpan.FromSeconds(0.25));
        _clock.Advance(9.749);
        Assert.Equal(["0.25 watch"], run.Events);
        _clock.Advance(0.001);
        Assert.Equal(["0.25 watch", "10 graceful 15"], run.Events);
    }

    [Fact]
    public void Without_a_graceful_step_on_the_platform_the_deadline_kills_at_once()
    {
        var run = Start(Program.WithTimeout(TimeSpan.FromSeconds(10)));
        run.HasGracefulStep = false;
        _clock.Advance(100);
        Assert.Equal(["0 watch", "10 graceful 15", "10 kill"], run.Events);
    }

    [Fact]
    public void The_termination_signal_is_the_command_s()
    {
        var run = Start(Program.WithTimeout(TimeSpan.FromSeconds(1)).WithTerminationSignal(Signals.Interrupt));
        _clock.Advance(1);
        Assert.Equal(["0 watch", "1 graceful 2"], run.Events);
    }

    // How the leader ending within the grace period ends the run: the rest of the tree is killed at once, and whether
    // that kill ended anything decides ForcefullyKilled. Order: the order of the leader's exit and the two pipes' ends; on a
    // platform that sees hang-ups (Unix) or not (Windows).
    [Theory]
    [InlineData("exit,stdout,stderr", false, true)]
    [InlineData("stdout,stderr,exit", false, true)]
    [InlineData("stdout,exit,stderr", true, true)]
    [InlineData("exit,stdout,stderr", false, false)]
    [InlineData("stdout,stderr,exit", true, false)]
    public void The_leader_ending_during_the_grace_period_ends_the_run_without_waiting_for_it(string order, bool forced, bool seesHangUps)
    {
        var run = Start(Program.WithTimeout(TimeSpan.FromSeconds(10)).WithGracePeriod(TimeSpan.FromSeconds(5)));
        run.SeesHangUps = seesHangUps;
        _clock.Advance(11);
        foreach (var step in order.Split(','))
        {
            Assert.False(run.Completion.IsCompleted);
            if (step == "exit") run.Dies(Term);
            else run.Closes(step == "stdout" ? run.Out! : run.Err!);
        }
        // The grace period's own kill is off: a kill that lands late (here past the grace period) is not followed by another.
        _clock.Advance(10);
        Assert.Equal(["0 watch", "10 graceful 15", "11 kill"], run.Events);
        Assert.False(run.Completion.IsCompleted);
        run.KillLands(forced);

        var result = run.Result;
        Assert.Equal(["0 watch", "10 graceful 15", "11 kill", "21 release"], run.Events);
        Assert.Equal((Outcome.TimedOut, Term, forced), (result.Outcome, result.Signal, result.ForcefullyKilled));
        Assert.Equal(TimeSpan.FromSeconds(21), result.Duration);
    }

    [Fact]
    public void A_pipe_held_past_the_leader_s_exit_in_the_grace_period_waits_for_the_kill_and_is_then_closed_incomplete()
    {
        var run = Start(Program.WithTimeout(TimeSpan.FromSeconds(10)).WithGracePeriod(TimeSpan.FromSeconds(5)));
        run.Out!.HeldOpen = true;
        _clock.Advance(10);
        run.Dies(Term);
        run.Closes(run.Err!);
        _clock.Advance(5);
        run.KillLands(forced: true);
        _clock.Advance(0.099);
        Assert.False(run.Completion.IsCompleted);
        _clock.Advance(0.001);

        var result = run.Result;
        Assert.Equal(["0 watch", "10 graceful 15", "15 kill", "15.1 stop Stdout taking the rest", "15.1 release"], run.Events);
        Assert.Equal((Outcome.TimedOut, Term, true, true), (result.Outcome, result.Signal, result.ForcefullyKilled, result.OutputIncomplete));
    }

    [Fact]
    public void Pipes_that_end_within_the_post_kill_wait_are_complete()
    {
        var run = Start(Program.WithTimeout(TimeSpan.FromSeconds(1)).WithGracePeriod(TimeSpan.Zero));
        _clock.Advance(1);
        run.KillLands(forced: true);
        run.Dies(Kill);
        _clock.Advance(0.05);
        run.Closes(run.Out!);
        run.Closes(run.Err!);

        var result = run.Result;
        Assert.Equal(["0 watch", "1 kill", "1.05 release"], run.Events);
        Assert.False(result.OutputIncomplete);
    }

    [Fact]
    public void A_leader_that_outlives_its_killed_pipes_ends_the_run_when_its_exit_is_read()
    {
        var run = Start(Program.WithTimeout(TimeSpan.FromSeconds(1)).WithGracePeriod(TimeSpan.Zero));
        run.Out!.HeldOpen = true;
        _clock.Advance(1);
        run.KillLands(forced: true);
        _clock.Advance(0.1);
        Assert.Equal(["0 watch", "1 kill", "1.1 stop Stdout taking the rest", "1.1 stop Stderr taking the rest"], run.Events);
        Assert.False(run.Completion.IsCompleted);
        _clock.Advance(0.2);
        run.Dies(Kill);

        var result = run.Result;
        Assert.Equal("1.3 release", run.Events[^1]);
        Assert.True(result.OutputIncomplete);
    }

    // ---- cancellation ----

    [Theory]
    [InlineData(false, "3 graceful 15|8 kill")]
    [InlineData(true, "3 kill")]
    public void Terminate_runs_the_sequence_or_kills_at_once_and_the_run_is_canceled(bool immediately, string expected)
    {
        var run = Start(Program.WithTimeout(TimeSpan.FromSeconds(10)));
        _clock.Advance(3);
        run.Terminate(immediately);
        run.Terminate(immediately);
        _clock.Advance(5);
        Assert.Equal(["0 watch", .. expected.Split('|')], run.Events);
        Finish(run, Kill);
        Assert.Equal(Outcome.Canceled, run.Result.Outcome);
    }

    [Fact]
    public void Terminating_at_once_during_the_grace_period_kills_without_waiting_for_it()
    {
        var run = Start(Program.WithGracePeriod(TimeSpan.FromSeconds(5)));
        run.Terminate(immediately: false);
        _clock.Advance(1);
        run.Terminate(immediately: true);
        Assert.Equal(["0 watch", "0 graceful 15", "1 kill"], run.Events);
        _clock.Advance(10);
        Assert.Equal(3, run.Events.Count);
    }

    [Fact]
    public void A_canceled_token_runs_the_termination_sequence()
    {
        using var cancellation = new CancellationTokenSource();
        var run = Start(Program, cancellation.Token);
        _clock.Advance(2);
        cancellation.Cancel();
        Assert.Equal(["0 watch", "2 graceful 15"], run.Events);
        Finish(run, Term);
        run.KillLands(forced: false);
        Assert.Equal(Outcome.Canceled, run.Result.Outcome);
    }

    [Fact]
    public void Terminating_a_draining_run_ends_the_drain_now_and_the_leader_s_exit_stays_the_outcome()
    {
        var run = Start(Program);
        run.Out!.HeldOpen = true;
        run.Exits(0);
        _clock.Advance(1);
        run.Terminate(immediately: false);
        run.KillLands(forced: true);

        var result = run.Result;
        Assert.Equal(["0 watch", "1 kill", "1 stop Stdout taking the rest", "1 stop Stderr taking the rest", "1 release"], run.Events);
        Assert.Equal((Outcome.Exited, 0, false, true), (result.Outcome, result.ExitCode, result.ForcefullyKilled, result.OutputIncomplete));
    }

    [Fact]
    public void Nothing_is_signalled_once_the_run_has_finished()
    {
        var run = Start(Program);
        run.Signal(Signals.User1, entireGroup: false);
        run.Signal(Signals.User1, entireGroup: true);
        Finish(run, exitCode: 0);
        run.Signal(Signals.User1, entireGroup: false);
        run.Terminate(immediately: true);
        Assert.Equal(["0 watch", "0 signal 10", "0 signal 10 to group", "0 release"], run.Events);
    }

    // ---- the drain after the leader's exit ----

    [Fact]
    public void Output_that_ends_within_the_drain_period_ends_the_run_complete()
    {
        var run = Start(Program.WithTimeout(TimeSpan.FromSeconds(10)));
        _clock.Advance(1);
        run.Exits(3);
        run.Closes(run.Err!);
        _clock.Advance(1.999);
        run.Closes(run.Out!);

        var result = run.Result;
        Assert.Equal(["0 watch", "2.999 release"], run.Events);
        Assert.Equal((Outcome.Exited, 3, false, false, 0), (result.Outcome, result.ExitCode, result.ForcefullyKilled, result.OutputIncomplete, result.SignaledProcesses));
        Assert.Empty(_clock.Pending);
    }

    // A grandchild in another session holds stdout after the leader's exit: the drain period bounds the wait, then
    // the tree is killed and the pipes are closed. The kill does not count as forced: the run had not been terminated.
    [Theory]
    [InlineData(2, true)]
    [InlineData(2, false)]
    [InlineData(0.25, true)]
    [InlineData(0, true)]
    public void The_drain_period_bounds_the_wait_for_a_pipe_held_after_the_leader_s_exit(double drain, bool killForced)
    {
        var run = Start(Program.WithDrainTimeout(TimeSpan.FromSeconds(drain)));
        run.Out!.HeldOpen = true;
        _clock.Advance(1);
        run.Closes(run.Err!);
        run.Exits(0);
        _clock.Advance(drain);
        var end = Show(1 + drain);
        Assert.Equal(["0 watch", $"{end} kill"], run.Events);
        run.KillLands(killForced);

        var result = run.Result;
        Assert.Equal(["0 watch", $"{end} kill", $"{end} stop Stdout taking the rest", $"{end} release"], run.Events);
        Assert.Equal((Outcome.Exited, 0, false, true, 0), (result.Outcome, result.ExitCode, result.ForcefullyKilled, result.OutputIncomplete, result.SignaledProcesses));
    }

    [Fact]
    public void A_drain_that_runs_out_leaves_output_incomplete_even_when_the_killed_holders_then_close_the_pipe()
    {
        var run = Start(Program);
        run.Closes(run.Err!);
        run.Exits(0);
        _clock.Advance(2);
        run.Closes(run.Out!);
        run.KillLands(forced: true);

        Assert.Equal(["0 watch", "2 kill", "2 release"], run.Events);
        Assert.True(run.Result.OutputIncomplete);
    }

    [Fact]
    public void The_deadline_ends_a_drain_early_and_the_leader_s_exit_stays_the_outcome()
    {
        var run = Start(Program.WithTimeout(TimeSpan.FromSeconds(2)).WithDrainTimeout(TimeSpan.FromSeconds(10)));
        run.Out!.HeldOpen = true;
        _clock.Advance(1);
        run.Exits(0);
        _clock.Advance(1);
        Assert.Equal(["0 watch", "2 kill"], run.Events);
        run.KillLands(forced: true);
        Assert.Equal((Outcome.Exited, true), (run.Result.Outcome, run.Result.OutputIncomplete));
    }

    [Fact]
    public void A_consumer_behind_the_program_restarts_the_drain_period_rather_than_being_cut_off()
    {
        var run = Start(Program.WithStdout(OutputTarget.Pipe).WithDrainTimeout(TimeSpan.FromSeconds(2)));
        run.Writes(run.Out!, new string('x', ChunkQueue.HighWater));
        Assert.True(run.Out!.Paused);
        run.Closes(run.Err!);
        run.Exits(0);
        _clock.Advance(7);
        Assert.Equal(["0 watch"], run.Events);

        var queue = run.Out.Consumers.Claim!.Queue;
        while (run.Out.Paused) Assert.True(queue.TryTake(out _));
        _clock.Advance(1);
        Assert.Equal(["0 watch", "7 resume Stdout", "8 kill"], run.Events);
    }

    [Fact]
    public void A_paused_pipe_that_lost_its_writers_is_emptied_and_closed_so_the_run_ends_without_its_consumer()
    {
        var run = Start(Program.WithStdout(OutputTarget.Pipe));
        run.Writes(run.Out!, new string('x', ChunkQueue.HighWater));
        run.Closes(run.Err!);
        run.Exits(0);
        _clock.Advance(0.5);
        run.HangsUp(run.Out!);

        var result = run.Result;
        Assert.Equal(["0 watch", "0.5 stop Stdout taking the rest", "0.5 release"], run.Events);
        Assert.Equal((Outcome.Exited, false), (result.Outcome, result.OutputIncomplete));
        var queue = run.Out!.Consumers.Claim!.Queue;
        long queued = 0;
        while (queue.TryTake(out var chunk)) queued += chunk.Bytes.Length;
        Assert.Equal(ChunkQueue.HighWater, queued);
    }

    [Fact]
    public void A_hang_up_while_the_leader_runs_waits_for_its_exit()
    {
        var run = Start(Program.WithStdout(OutputTarget.Pipe));
        run.Writes(run.Out!, new string('x', ChunkQueue.HighWater));
        run.Closes(run.Err!);
        run.HangsUp(run.Out!);
        Assert.Equal(["0 watch"], run.Events);
        _clock.Advance(1);
        run.Exits(0);
        Assert.Equal(["0 watch", "1 stop Stdout taking the rest", "1 release"], run.Events);
    }

    [Fact]
    public async Task Every_line_reaches_its_callback_before_the_run_finishes()
    {
        var lines = new List<string>();
        var run = Start(Program.WithStdout(OutputTarget.ToLines(lines.Add)));
        run.Writes(run.Out!, "a\nb\n");
        run.Writes(run.Out!, "c");
        run.Exits(0);
        run.Closes(run.Out!);
        run.Closes(run.Err!);

        // The callbacks run off the machine (the thread pool), as on the loop: only their end is waited for here.
        var result = await run.Completion.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(["a", "b", "c"], lines);
        Assert.Equal(["0 watch", "0 release"], run.Events);
        Assert.False(result.OutputIncomplete);
    }

    [Fact]
    public void A_callback_that_never_returns_holds_the_run_no_longer_than_the_sink_bound_after_the_kill()
    {
        var never = new TaskCompletionSource();
        var run = Start(Program.WithTimeout(TimeSpan.FromSeconds(5)).WithStdout(OutputTarget.ToLines(_ => never.Task)));
        run.Writes(run.Out!, "stuck\n");
        run.Exits(0);
        run.Closes(run.Out!);
        run.Closes(run.Err!);
        _clock.Advance(5);
        Assert.Equal(["0 watch", "5 kill"], run.Events);
        run.KillLands(forced: false);
        _clock.Advance(0.999);
        Assert.False(run.Completion.IsCompleted);
        _clock.Advance(0.001);

        var result = run.Result;
        Assert.Equal(["0 watch", "5 kill", "6 release"], run.Events);
        Assert.Equal((Outcome.Exited, true), (result.Outcome, result.OutputIncomplete));
        never.SetResult();
    }

    // ---- the idle timeout ----

    // writes: the times output comes; expected: when the run is found silent for 3 s.
    [Theory]
    [InlineData("", 3)]
    [InlineData("2", 5)]
    [InlineData("2,4", 7)]
    [InlineData("2.999", 5.999)]
    [InlineData("0.5,1,1.5,2,2.5,3.5,4,4.5,5", 8)]
    public void Output_resets_the_idle_timeout(string writes, double expected)
    {
        var run = Start(Program.WithIdleTimeout(TimeSpan.FromSeconds(3)));
        foreach (var at in Times(writes))
        {
            _clock.Advance(at - _clock.Now.TotalSeconds);
            run.Writes(run.Out!, "tick\n");
        }
        _clock.Advance(100 - _clock.Now.TotalSeconds);
        Assert.Equal(["0 watch", $"{Show(expected)} graceful 15", $"{Show(expected + 5)} kill"], run.Events);
        Finish(run, Term);
        Assert.Equal(Outcome.IdleTimedOut, run.Result.Outcome);
    }

    [Fact]
    public void Output_on_stderr_counts_as_much_as_on_stdout()
    {
        var run = Start(Program.WithIdleTimeout(TimeSpan.FromSeconds(3)));
        _clock.Advance(2);
        run.Writes(run.Err!, "e");
        _clock.Advance(2);
        Assert.Equal(["0 watch"], run.Events);
        _clock.Advance(1);
        Assert.Equal(["0 watch", "5 graceful 15"], run.Events);
    }

    [Fact]
    public void With_a_progress_predicate_only_matching_lines_reset_the_idle_timeout()
    {
        var run = Start(Program.WithIdleTimeout(TimeSpan.FromSeconds(3), line => line.StartsWith("frame=", StringComparison.Ordinal)));
        _clock.Advance(1);
        run.Writes(run.Out!, "frame=1\r");
        _clock.Advance(1);
        run.Writes(run.Out!, "noise\nmore noise\n");
        run.Writes(run.Err!, "fra");
        _clock.Advance(1);
        run.Writes(run.Err!, "me=2 but not a line yet");
        _clock.Advance(0.999);
        Assert.Equal(["0 watch"], run.Events);
        _clock.Advance(0.001);
        Assert.Equal(["0 watch", "4 graceful 15"], run.Events);
    }

    [Fact]
    public void Time_spent_paused_by_a_slow_consumer_is_not_silence()
    {
        var run = Start(Program.WithStdout(OutputTarget.Pipe).WithIdleTimeout(TimeSpan.FromSeconds(3)));
        run.Writes(run.Out!, new string('x', ChunkQueue.HighWater));
        _clock.Advance(7);
        Assert.Equal(["0 watch"], run.Events);
        var queue = run.Out!.Consumers.Claim!.Queue;
        while (run.Out.Paused) Assert.True(queue.TryTake(out _));
        _clock.Advance(2.999);
        Assert.Equal(["0 watch", "7 resume Stdout"], run.Events);
        _clock.Advance(0.001);
        Assert.Equal(["0 watch", "7 resume Stdout", "10 graceful 15"], run.Events);
    }

    // ---- output limits and failures ----

    [Fact]
    public void Output_past_a_terminating_limit_runs_the_termination_sequence()
    {
        var run = Start(Program.WithStdout(OutputTarget.CaptureWithLimit(10, whenExceeded: OutputLimitAction.Terminate)));
        _clock.Advance(1);
        run.Writes(run.Out!, "0123456789");
        Assert.Equal(["0 watch"], run.Events);
        _clock.Advance(1);
        run.Writes(run.Out!, "!");
        Assert.Equal(["0 watch", "2 graceful 15"], run.Events);
        Finish(run, Term);
        run.KillLands(forced: false);

        var result = run.Result;
        Assert.Equal((Outcome.OutputLimitExceeded, 11L, 10L), (result.Outcome, result.Stdout.TotalBytes, result.Stdout.Length));
        Assert.Equal("012346789!", result.Stdout.Text);
    }

    [Fact]
    public void Output_past_a_limit_that_keeps_running_is_only_truncated()
    {
        var run = Start(Program.WithStdout(OutputTarget.CaptureWithLimit(4, headBytes: 1)));
        run.Writes(run.Out!, "head, middle and tail");
        Finish(run, exitCode: 0);

        var result = run.Result;
        Assert.Equal(["0 watch", "0 release"], run.Events);
        Assert.Equal((Outcome.Exited, "hail", 17L), (result.Outcome, result.Stdout.Text, result.Stdout.DroppedBytes));
    }

    [Fact]
    public void A_capture_that_cannot_spill_kills_the_tree_at_once_and_the_run_fails_with_its_result()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"timebox-unit-missing-{Guid.NewGuid():N}");
        var run = Start(Program.WithTimeout(TimeSpan.FromSeconds(10)).WithSpill(4, missing));
        run.Writes(run.Out!, "more than four bytes");
        Assert.Equal(["0 watch", "0 kill"], run.Events);
        Finish(run, Kill);

        var failure = Assert.IsType<CommandOutputException>(run.Completion.Exception!.InnerException);
        Assert.Equal(Outcome.OutputFailed, failure.Result.Outcome);
        Assert.Equal("more than four bytes", failure.Result.Stdout.Text);
        Assert.StartsWith($"Could not spill stdout to '{missing}': ", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_output_failure_during_the_grace_period_kills_at_once_and_keeps_the_first_reason()
    {
        var run = Start(Program.WithTimeout(TimeSpan.FromSeconds(1)));
        _clock.Advance(1);
        run.OutputFails(new IOException("read failed"));
        Assert.Equal(["0 watch", "1 graceful 15", "1 kill"], run.Events);
        Finish(run, Kill);

        var failure = Assert.IsType<CommandOutputException>(run.Completion.Exception!.InnerException);
        Assert.Equal(Outcome.TimedOut, failure.Result.Outcome);
        Assert.Equal("read failed", failure.InnerException!.Message);
    }

    // ---- what the result reports ----

    // The first reason to end the run wins over any later one, and over a resource limit or the leader's own end.
    [Theory]
    [InlineData("exit 0", Outcome.Exited)]
    [InlineData("exit 3", Outcome.Exited)]
    [InlineData("signal 11", Outcome.Signaled)]
    [InlineData("limit", Outcome.CpuLimitExceeded)]
    [InlineData("deadline,limit", Outcome.TimedOut)]
    [InlineData("deadline,cancel", Outcome.TimedOut)]
    [InlineData("cancel,deadline", Outcome.Canceled)]
    [InlineData("idle,cancel", Outcome.IdleTimedOut)]
    [InlineData("idle,output limit", Outcome.IdleTimedOut)]
    [InlineData("output limit,deadline", Outcome.OutputLimitExceeded)]
    [InlineData("output limit,idle", Outcome.OutputLimitExceeded)]
    [InlineData("output failure,deadline", Outcome.OutputFailed)]
    [InlineData("deadline,output failure", Outcome.TimedOut)]
    public void The_first_reason_to_end_the_run_is_its_outcome(string events, Outcome expected)
    {
        var command = Program.WithStdout(OutputTarget.CaptureWithLimit(4, whenExceeded: OutputLimitAction.Terminate));
        if (events.Contains("deadline", StringComparison.Ordinal)) command = command.WithTimeout(TimeSpan.FromSeconds(10));
        if (events.Contains("idle", StringComparison.Ordinal)) command = command.WithIdleTimeout(TimeSpan.FromSeconds(3));
        var run = Start(command);
        run.ReachedProcesses = 7;
        int? exitCode = 1, signal = null;
        foreach (var happening in events.Split(','))
        {
            switch (happening)
            {
                case "exit 0": exitCode = 0; break;
                case "exit 3": exitCode = 3; break;
                case "signal 11": (exitCode, signal) = (null, 11); break;
                case "limit": (exitCode, signal, run.LimitOutcome) = (null, 24, Outcome.CpuLimitExceeded); break;
                case "deadline": _clock.Advance(TimeSpan.FromSeconds(10) - _clock.Now); break;
                case "idle": _clock.Advance(3); break;
                case "cancel": run.Terminate(immediately: false); break;
                case "output limit": run.Writes(run.Out!, "12345"); break;
                case "output failure": run.OutputFails(new IOException("lost")); break;
                default: throw new ArgumentException(happening, nameof(events));
            }
        }
        if (signal is { } fatal) run.Dies(fatal);
        else run.Exits(exitCode!.Value);
        run.Closes(run.Out!);
        run.Closes(run.Err!);
        run.KillLands(forced: false);

        var result = run.Completion.IsFaulted ? Assert.IsType<CommandOutputException>(run.Completion.Exception!.InnerException).Result : run.Result;
        Assert.Equal(expected, result.Outcome);
        Assert.Equal((exitCode, signal), (result.ExitCode, result.Signal));
        var terminated = expected is not (Outcome.Exited or Outcome.Signaled or Outcome.CpuLimitExceeded);
        Assert.Equal(terminated ? 7 : 0, result.SignaledProcesses);
        Assert.Equal(terminated, run.Events.Any(e => e.EndsWith(" kill", StringComparison.Ordinal)));
    }

    // ForcefullyKilled says whether a kill of the termination sequence ended a process that the signal had not; a kill still
    // in flight when the run finishes is carried out as the tree is let go, and still counts.
    [Theory]
    [InlineData("grace expires", true, true)]
    [InlineData("grace expires", false, false)]
    [InlineData("leader ends in grace", true, true)]
    [InlineData("leader ends in grace", false, false)]
    [InlineData("kill in flight at the end", true, true)]
    [InlineData("kill in flight at the end", false, false)]
    [InlineData("drain expires", true, false)]
    public void ForcefullyKilled_is_what_the_kills_of_the_termination_sequence_report(string scenario, bool killForces, bool forced)
    {
        var run = Start(Program.WithTimeout(TimeSpan.FromSeconds(10)).WithGracePeriod(TimeSpan.FromSeconds(5)).WithDrainTimeout(TimeSpan.FromSeconds(1)));
        run.PendingKillForces = killForces;
        switch (scenario)
        {
            case "grace expires":
                _clock.Advance(15);
                run.KillLands(killForces);
                Finish(run, Kill);
                break;
            case "leader ends in grace":
                _clock.Advance(12);
                Finish(run, Term);
                run.KillLands(killForces);
                break;
            case "kill in flight at the end":
                _clock.Advance(15);
                Finish(run, Kill);
                break;
            case "drain expires":
                run.Out!.HeldOpen = true;
                run.Exits(0);
                _clock.Advance(1);
                run.KillLands(killForces);
                break;
        }
        Assert.Equal(forced, run.Result.ForcefullyKilled);
    }

    [Fact]
    public void A_run_whose_leader_exits_with_its_pipes_closed_finishes_at_once_and_leaves_no_timer()
    {
        var run = Start(Program.WithTimeout(TimeSpan.FromSeconds(10)).WithIdleTimeout(TimeSpan.FromSeconds(3)));
        Assert.Equal(2, _clock.Pending.Count());
        _clock.Advance(1);
        run.Closes(run.Out!);
        run.Closes(run.Err!);
        run.Exits(0);

        Assert.Equal(["0 watch", "1 release"], run.Events);
        Assert.Equal((Outcome.Exited, TimeSpan.FromSeconds(1)), (run.Result.Outcome, run.Result.Duration));
        Assert.Empty(_clock.Pending);
    }

    [Fact]
    public void A_pipe_still_held_after_the_kill_and_the_leader_s_exit_is_closed_incomplete_after_a_short_wait()
    {
        var run = Start(Program.WithTimeout(TimeSpan.FromSeconds(1)).WithGracePeriod(TimeSpan.Zero));
        run.Out!.HeldOpen = true;
        _clock.Advance(1);
        run.Dies(Kill);
        run.Closes(run.Err!);
        run.Terminate(immediately: true);
        Assert.Equal(["0 watch", "1 kill"], run.Events);
        run.KillLands(forced: true);
        _clock.Advance(0.1);
        Assert.Equal(["0 watch", "1 kill", "1.1 stop Stdout taking the rest", "1.1 release"], run.Events);
        Assert.True(run.Result.OutputIncomplete);
    }

    private FakeRun Start(Command command, CancellationToken cancellationToken = default) => FakeRun.Start(command, _clock, cancellationToken);

    // The leader ends (by a signal, or with an exit code) and its pipes close: the run can finish.
    private static void Finish(FakeRun run, int? signal = null, int exitCode = 0)
    {
        if (signal is { } fatal) run.Dies(fatal);
        else run.Exits(exitCode);
        if (run.Out is { Ended: false } stdout) run.Closes(stdout);
        if (run.Err is { Ended: false } stderr) run.Closes(stderr);
    }

    private static TimeSpan Seconds(double seconds) => seconds < 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds(seconds);

    private static string Show(double seconds) => seconds.ToString("0.###", CultureInfo.InvariantCulture);

    private static IEnumerable<double> Times(string list) =>
        list.Length == 0 ? [] : list.Split(',').Select(t => double.Parse(t, CultureInfo.InvariantCulture));
}
