using System.Diagnostics;
using Timebox.Tests.Support;

namespace Timebox.Tests;

public sealed class TerminationTests : ChildTest
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(1.5);
    private static readonly TimeSpan Grace = TimeSpan.FromMilliseconds(500);

    // Bound on the call: deadline + grace + generous slack for a loaded 2-core CI machine.
    private static readonly TimeSpan CallBound = Deadline + Grace + TimeSpan.FromSeconds(2);

    [Fact]
    public async Task Timeout_keeps_partial_output_and_reports_the_graceful_signal()
    {
        var result = await Child("print", "started", "hold").WithTimeout(Deadline).WithGracePeriod(Grace).RunAsync();

        Assert.Equal(Outcome.TimedOut, result.Outcome);
        Assert.Equal("started\n", result.Stdout.Text);
        Assert.Equal(Signals.Terminate, result.Signal);
        Assert.False(result.ForcefullyKilled);
        Assert.InRange(result.Duration, Deadline, CallBound);
    }

    [Theory]
    [InlineData("same-group")]
    [InlineData("new-group")]
    [InlineData("new-session")]
    public async Task Timeout_returns_on_time_and_kills_descendants_that_hold_the_pipes(string mode)
    {
        var stopwatch = Stopwatch.StartNew();
        var result = await Child("spawn", mode, "[", "print", "grandchild", "hold", "]", "print", "parent", "hold")
            .WithTimeout(Deadline).WithGracePeriod(Grace).RunAsync();

        Assert.Equal(Outcome.TimedOut, result.Outcome);
        Assert.InRange(stopwatch.Elapsed, Deadline, CallBound);
        Assert.Contains("parent\n", result.Stdout.Text, StringComparison.Ordinal);
        Assert.Equal(2, LoggedProcesses.Count);
    }

    [Fact]
    public async Task An_infinite_grace_period_never_sends_SIGKILL_until_asked()
    {
        await using var process = Child("ignore-term", "print", "ready", "hold")
            .WithStdout(OutputTarget.Pipe).WithGracePeriod(Timeout.InfiniteTimeSpan).Start();
        using var reader = new StreamReader(process.StandardOutput!);
        Assert.Equal("ready", await reader.ReadLineAsync());

        process.Terminate();
        Assert.Null(await process.WaitAsync(TimeSpan.FromSeconds(2)));
        process.Kill();
        var result = await process.WaitAsync();

        Assert.Equal(Timeout.InfiniteTimeSpan, Command.Shell("true").WithGracePeriod(Timeout.InfiniteTimeSpan).GracePeriod);
        Assert.Equal(Outcome.Canceled, result.Outcome);
        Assert.Equal(Signals.Kill, result.Signal);
        Assert.True(result.ForcefullyKilled);
    }

    [Fact]
    public async Task A_tree_that_ignores_the_signal_is_killed_after_the_grace_period()
    {
        await using var process = Child("ignore-term", "spawn", "same-group", "[", "ignore-term", "hold", "]", "print", "ready", "hold")
            .WithStdout(OutputTarget.Pipe).WithGracePeriod(Grace).Start();
        using var reader = new StreamReader(process.StandardOutput!);
        Assert.Equal("ready", await reader.ReadLineAsync());

        var stopwatch = Stopwatch.StartNew();
        process.Terminate();
        var result = await process.WaitAsync();

        Assert.Equal(Outcome.Canceled, result.Outcome);
        Assert.True(result.ForcefullyKilled);
        Assert.Equal(Signals.Kill, result.Signal);
        Assert.InRange(stopwatch.Elapsed, Grace, Grace + TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task Stopped_processes_are_still_terminated()
    {
        var result = await Child("spawn", "same-group", "[", "stop-self", "]", "print", "stopping", "stop-self")
            .WithTimeout(Deadline).WithGracePeriod(Grace).RunAsync();

        Assert.Equal(Outcome.TimedOut, result.Outcome);
        Assert.Equal("stopping\n", result.Stdout.Text);
    }

    [Fact]
    public async Task A_job_in_a_process_group_of_its_own_is_left_to_its_shell_then_killed_once_the_shell_has_ended()
    {
        // bash's job control gives the job a group of its own. The first signal goes where GNU timeout sends it, to the
        // main process and its group, so only bash could pass it on; bash dies of it instead, and the job, which never
        // had SIGTERM, is killed then: that SIGKILL is what ended it, so the run is ForcefullyKilled.
        var log = Path.Combine(Path.GetTempPath(), $"timebox-job-{Guid.NewGuid():N}.log");
        var job = log + ".sh";
        File.WriteAllText(job, $"trap 'echo TERM >> {log}; exit 0' TERM; sleep 100 & echo $$ >> {log}; wait\n");
        try
        {
            await using var process = Program("bash", "-c", $"set -m; sh {job} & wait").WithTimeout(Generous).WithGracePeriod(Grace).Start();
            var deadline = DateTime.UtcNow + Generous;
            while (!File.Exists(log) || !File.ReadAllText(log).EndsWith('\n'))
            {
                Assert.True(DateTime.UtcNow < deadline, "The job did not start.");
                Thread.Sleep(10);
            }
            process.Terminate();
            var result = await process.WaitAsync();
            var lines = File.ReadAllLines(log);
            var jobGroup = int.Parse(lines[0], System.Globalization.CultureInfo.InvariantCulture);

            Assert.Equal(Outcome.Canceled, result.Outcome);
            Assert.Equal(Signals.Terminate, result.Signal);
            Assert.True(result.ForcefullyKilled);
            Assert.DoesNotContain("TERM", lines);
            Assert.Empty(Proc.LiveMembersOf(jobGroup));
        }
        finally
        {
            File.Delete(log);
            File.Delete(job);
        }
    }

    [Fact]
    public async Task Zero_grace_kills_at_once()
    {
        var result = await Child("hold").WithTimeout(Deadline).WithGracePeriod(TimeSpan.Zero).RunAsync();

        Assert.Equal(Outcome.TimedOut, result.Outcome);
        Assert.Equal(Signals.Kill, result.Signal);
        Assert.True(result.ForcefullyKilled);
    }

    [Fact]
    public async Task When_a_kill_returns_the_killed_processes_are_already_gone()
    {
        // A process that does not hold the pipes, so their end says nothing of it, and that is slow to die once killed:
        // each of its 2,000 threads has to run to exit. This looks once, at once, where other tests wait for survivors to go.
        var ready = Path.Combine(Path.GetTempPath(), $"timebox-ready-{Guid.NewGuid():N}");
        await using var process = Program("sh", "-c", $"'{TestChild.Path}' threads 2000 write-file '{ready}' 1 hold >/dev/null 2>&1 & wait").Start();
        var deadline = DateTime.UtcNow + Generous;
        while (!File.Exists(ready) || new FileInfo(ready).Length == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "The child did not start its threads in time.");
            Thread.Sleep(10);
        }
        File.Delete(ready);
        var slowToDie = Assert.Single(Proc.LiveMembersOf(process.ProcessId), pid => pid != process.ProcessId);
        process.Kill();
        var result = await process.WaitAsync();
        var lingering = Proc.LiveThreadsOf(slowToDie);

        Assert.Equal(Outcome.Canceled, result.Outcome);
        Assert.Equal(0, lingering);
    }

    [Fact]
    public async Task A_custom_termination_signal_is_sent()
    {
        var result = await Program("sleep", "60").WithTimeout(TimeSpan.FromMilliseconds(300)).WithTerminationSignal(Signals.Interrupt).RunAsync();

        Assert.Equal(Outcome.TimedOut, result.Outcome);
        Assert.Equal(Signals.Interrupt, result.Signal);
    }

    [Fact]
    public async Task After_a_normal_exit_a_descendant_holding_the_pipes_cannot_hold_the_call()
    {
        var drain = TimeSpan.FromMilliseconds(300);
        var stopwatch = Stopwatch.StartNew();
        var result = await Child("spawn", "same-group", "[", "hold", "]", "print", "done")
            .WithDrainTimeout(drain).WithTimeout(TimeSpan.FromSeconds(60)).RunAsync();

        Assert.Equal(Outcome.Exited, result.Outcome);
        Assert.Equal(0, result.ExitCode);
        Assert.True(result.OutputIncomplete);
        Assert.Equal("done\n", result.Stdout.Text);
        Assert.InRange(stopwatch.Elapsed, drain, drain + TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task Cancellation_terminates_the_tree_and_is_reported()
    {
        using var cancellation = new CancellationTokenSource();
        await using var process = Child("spawn", "new-group", "[", "hold", "]", "print", "ready", "hold")
            .WithStdout(OutputTarget.Pipe).WithGracePeriod(Grace).Start(cancellation.Token);
        using var reader = new StreamReader(process.StandardOutput!);
        Assert.Equal("ready", await reader.ReadLineAsync());

        await cancellation.CancelAsync();
        var result = await process.WaitAsync();

        Assert.Equal(Outcome.Canceled, result.Outcome);
    }

    [Fact]
    public async Task A_wait_that_times_out_leaves_the_process_running_and_can_be_repeated()
    {
        await using var process = Child("hold").WithGracePeriod(Grace).Start();

        Assert.Null(await process.WaitAsync(TimeSpan.FromMilliseconds(100)));
        Assert.Null(process.Wait(TimeSpan.FromMilliseconds(50)));
        Assert.False(process.HasEnded);

        var result = await process.WaitAsync(TimeSpan.FromMilliseconds(50), killOnTimeout: true);
        Assert.NotNull(result);
        Assert.Equal(Outcome.Canceled, result.Outcome);
    }

    [Fact]
    public async Task Disposing_the_handle_terminates_the_tree()
    {
        var process = Child("spawn", "same-group", "[", "hold", "]", "hold").WithGracePeriod(Grace).Start();
        await process.DisposeAsync();

        Assert.True(process.HasEnded);
        Assert.Equal(Outcome.Canceled, (await process.Completion).Outcome);
    }

    [Fact]
    public async Task Kill_sends_sigkill_at_once()
    {
        await using var process = Child("ignore-term", "hold").Start();
        process.Kill();
        var result = await process.WaitAsync();

        Assert.Equal(Outcome.Canceled, result.Outcome);
        Assert.Equal(Signals.Kill, result.Signal);
    }

    [Fact]
    public async Task Stdin_can_be_written_incrementally_and_closed_by_the_caller()
    {
        await using var process = Child("echo-stdin").WithStdin(StdinSource.Pipe).Start();
        await process.StandardInput!.WriteAsync("one "u8.ToArray());
        await process.StandardInput.WriteAsync("two"u8.ToArray());
        await process.StandardInput.DisposeAsync();

        var result = await process.WaitAsync();
        Assert.Equal("one two", result.Stdout.Text);
    }

    [Fact]
    public async Task Signals_can_be_sent_on_demand()
    {
        await using var process = Child("print", "ready", "hold").WithStdout(OutputTarget.Pipe).Start();
        using var reader = new StreamReader(process.StandardOutput!);
        Assert.Equal("ready", await reader.ReadLineAsync());

        process.Signal(Signals.User1);
        var result = await process.WaitAsync();

        Assert.Equal(Outcome.Signaled, result.Outcome);
        Assert.Equal(Signals.User1, result.Signal);
    }
}
