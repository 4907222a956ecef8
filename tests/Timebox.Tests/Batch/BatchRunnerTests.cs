using System.Diagnostics;
using System.Threading.Channels;

namespace Timebox.Tests.Batch;

/// <summary>The library's batch runner, black-box through its public API, with the TestChild as the jobs.</summary>
public sealed class BatchRunnerTests : ChildTest
{
    private static async Task<List<BatchResult>> CollectAsync(IAsyncEnumerable<BatchResult> results)
    {
        var list = new List<BatchResult>();
        await foreach (var result in results) list.Add(result);
        return list;
    }

    private BatchJob Job(string id, params string[] actions) => new(id, Child(actions).WithTimeout(Generous));

    [Fact]
    public async Task Runs_every_job_at_most_N_at_once_and_streams_each_result_as_it_ends()
    {
        var runner = new BatchRunner(new BatchOptions { MaxParallelism = 3 });
        var jobs = Enumerable.Range(0, 9).Select(i => Job($"j{i}", "sleep", i == 0 ? "100" : "700", "print", $"j{i}")).ToList();
        var results = new List<BatchResult>();
        var runningAtFirstResult = -1;
        var mostRunning = 0;
        using var done = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!done.IsCancellationRequested)
            {
                var running = runner.Running;
                mostRunning = Math.Max(mostRunning, running.Count);
                Assert.Equal(running.Count, running.Select(r => r.Slot).Distinct().Count());
                await Task.Delay(5);
            }
        });
        await foreach (var result in runner.RunAsync(jobs))
        {
            if (results.Count == 0) runningAtFirstResult = runner.Running.Count;
            results.Add(result);
        }
        done.Cancel();
        await sampler;

        Assert.Equal(jobs.Select(j => j.Id).Order(), results.Select(r => r.Job.Id).Order());
        Assert.All(results, r => Assert.Equal($"{r.Job.Id}\n", r.Result!.Stdout.Text));
        Assert.All(results, r => Assert.InRange(r.Slot, 0, 2));
        // Streamed: the first result came while the other jobs were still running.
        Assert.True(runningAtFirstResult > 0, "the first result was delivered only after every job had ended");
        // Three at once, never more, each in a slot of its own.
        Assert.Equal(3, mostRunning);
        Assert.Equal(BatchStopReason.None, runner.StopReason);
    }

    [Fact]
    public async Task Each_job_has_its_own_deadline_and_the_batch_goes_on()
    {
        var jobs = new[]
        {
            new BatchJob("slow", Child("hold").WithTimeout(TimeSpan.FromMilliseconds(300))),
            Job("fast", "print", "ok"),
            Job("fails", "exit", "3"),
        };
        var results = await CollectAsync(new BatchRunner(new BatchOptions { MaxParallelism = 2 }).RunAsync(jobs));

        var byId = results.ToDictionary(r => r.Job.Id);
        Assert.Equal(Outcome.TimedOut, byId["slow"].Result!.Outcome);
        Assert.True(byId["fast"].Succeeded);
        Assert.Equal(3, byId["fails"].Result!.ExitCode);
    }

    [Fact]
    public async Task The_whole_batch_deadline_terminates_the_runs_in_flight_and_starts_nothing_more()
    {
        var runner = new BatchRunner(new BatchOptions { MaxParallelism = 2, Timeout = TimeSpan.FromSeconds(1.5) });
        var clock = Stopwatch.StartNew();
        var results = await CollectAsync(runner.RunAsync(Enumerable.Range(0, 6).Select(i => Job($"h{i}", "hold"))));

        Assert.Equal(2, results.Count);
        Assert.All(results, r => Assert.Equal(Outcome.Canceled, r.Result!.Outcome));
        Assert.All(results, r => Assert.Equal(Signals.Terminate, r.Result!.Signal));
        Assert.Equal(BatchStopReason.TimedOut, runner.StopReason);
        Assert.True(clock.Elapsed < Generous, $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task Fail_fast_stops_at_the_first_failure_and_cancels_the_others()
    {
        var runner = new BatchRunner(new BatchOptions { MaxParallelism = 2, FailFast = true });
        var jobs = new[] { Job("holds", "hold"), Job("fails", "sleep", "500", "exit", "1"), Job("never1", "print", "x"), Job("never2", "print", "x") };
        var results = await CollectAsync(runner.RunAsync(jobs));

        Assert.Equal(["fails", "holds"], results.Select(r => r.Job.Id).Order());
        Assert.Equal(1, results.Single(r => r.Job.Id == "fails").Result!.ExitCode);
        Assert.Equal(Outcome.Canceled, results.Single(r => r.Job.Id == "holds").Result!.Outcome);
        Assert.Equal(BatchStopReason.FailFast, runner.StopReason);
    }

    [Fact]
    public async Task Chosen_outcomes_are_retried_until_attempts_run_out_and_every_attempt_is_reported()
    {
        var counter = Path.Combine(Path.GetTempPath(), $"timebox-batch-attempts-{Guid.NewGuid():N}");
        try
        {
            // Times out on its first two attempts, succeeds on the third.
            var flaky = Program("sh", "-c", $"n=$(cat '{counter}' 2>/dev/null || echo 0); n=$((n+1)); echo $n > '{counter}'; [ $n -ge 3 ] || exec sleep 30")
                .WithTimeout(TimeSpan.FromMilliseconds(300));
            var jobs = new[] { new BatchJob("flaky", flaky), Job("fails", "exit", "2") };
            var results = await CollectAsync(new BatchRunner(new BatchOptions { MaxAttempts = 3 }).RunAsync(jobs));

            var attempts = results.Where(r => r.Job.Id == "flaky").OrderBy(r => r.Attempt).ToList();
            Assert.Equal([1, 2, 3], attempts.Select(r => r.Attempt));
            Assert.Equal([Outcome.TimedOut, Outcome.TimedOut, Outcome.Exited], attempts.Select(r => r.Result!.Outcome));
            Assert.Equal([true, true, false], attempts.Select(r => r.WillRetry));
            // A non-zero exit is not in the default RetryOn (timeouts only).
            Assert.Equal(1, results.Single(r => r.Job.Id == "fails").Attempt);
        }
        finally
        {
            File.Delete(counter);
        }
    }

    [Fact]
    public async Task A_resumed_job_continues_its_attempt_numbers()
    {
        var results = await CollectAsync(new BatchRunner(new BatchOptions { MaxAttempts = 3, RetryOn = [Outcome.Exited] })
            .RunAsync([new BatchJob("again", Child("exit", "1")) { FirstAttempt = 2 }]));

        Assert.Equal([2, 3], results.Select(r => r.Attempt));
    }

    [Fact]
    public async Task Canceling_terminates_everything_in_flight_and_still_delivers_their_results()
    {
        using var cancel = new CancellationTokenSource();
        var runner = new BatchRunner(new BatchOptions { MaxParallelism = 3 });
        var results = new List<BatchResult>();
        var clock = Stopwatch.StartNew();
        var run = Task.Run(async () =>
        {
            await foreach (var result in runner.RunAsync(Enumerable.Range(0, 10).Select(i => Job($"h{i}", "spawn", "new-session", "[", "hold", "]", "hold")), cancel.Token))
                results.Add(result);
        });
        WaitForLoggedProcesses(6);
        cancel.Cancel();
        await run;

        Assert.Equal(3, results.Count);
        Assert.All(results, r => Assert.Equal(Outcome.Canceled, r.Result!.Outcome));
        Assert.Equal(BatchStopReason.Canceled, runner.StopReason);
        Assert.True(clock.Elapsed < Generous, $"took {clock.Elapsed}");
        // The survivor check of this test proves the escaped grandchildren went too.
    }

    [Fact]
    public async Task Kill_skips_the_grace_period()
    {
        var runner = new BatchRunner(new BatchOptions { MaxParallelism = 2 });
        var ready = Enumerable.Range(0, 2).Select(i => Path.Combine(Path.GetTempPath(), $"timebox-batch-ready-{Guid.NewGuid():N}")).ToList();
        var jobs = Enumerable.Range(0, 2).Select(i =>
            new BatchJob($"stubborn{i}", Child("ignore-term", "write-file", ready[i], "1", "hold").WithGracePeriod(TimeSpan.FromMinutes(5))));
        var results = new List<BatchResult>();
        var clock = Stopwatch.StartNew();
        var run = Task.Run(async () =>
        {
            await foreach (var result in runner.RunAsync(jobs)) results.Add(result);
        });
        try
        {
            var deadline = DateTime.UtcNow + Generous;
            while (!ready.All(File.Exists))
            {
                Assert.True(DateTime.UtcNow < deadline, "the jobs did not start ignoring SIGTERM in time");
                await Task.Delay(10);
            }
        }
        finally
        {
            ready.ForEach(File.Delete);
        }
        runner.Stop();
        await Task.Delay(300);
        Assert.Empty(results);
        runner.Kill();
        await run;

        Assert.Equal(2, results.Count);
        Assert.All(results, r => Assert.Equal(Signals.Kill, r.Result!.Signal));
        Assert.All(results, r => Assert.True(r.Result!.ForcefullyKilled));
        Assert.True(clock.Elapsed < Generous, $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task Jobs_can_come_from_an_asynchronous_sequence_that_is_still_growing()
    {
        var feed = Channel.CreateUnbounded<BatchJob>();
        var runner = new BatchRunner(new BatchOptions { MaxParallelism = 2 });
        await feed.Writer.WriteAsync(Job("first", "print", "1"));
        var seen = new List<string>();
        await foreach (var result in runner.RunAsync(feed.Reader.ReadAllAsync()))
        {
            seen.Add(result.Job.Id);
            // Each result brings the next job, until three have run.
            if (seen.Count < 3) await feed.Writer.WriteAsync(Job($"next{seen.Count}", "print", "x"));
            else feed.Writer.Complete();
        }

        Assert.Equal(["first", "next1", "next2"], seen);
    }

    [Fact]
    public async Task Leaving_the_enumeration_early_terminates_the_runs_in_flight()
    {
        var runner = new BatchRunner(new BatchOptions { MaxParallelism = 3 });
        var jobs = new[] { Job("quick", "print", "x") }.Concat(Enumerable.Range(0, 5).Select(i => Job($"h{i}", "hold")));
        var clock = Stopwatch.StartNew();
        await foreach (var result in runner.RunAsync(jobs))
        {
            Assert.Equal("quick", result.Job.Id);
            break;
        }

        Assert.Equal(BatchStopReason.Canceled, runner.StopReason);
        Assert.Empty(runner.Running);
        Assert.True(clock.Elapsed < Generous, $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task A_command_that_cannot_start_is_reported_and_the_batch_goes_on()
    {
        var results = await CollectAsync(new BatchRunner().RunAsync([new Command("/nonexistent/program"), Child("print", "ok")]));

        var failed = results.Single(r => r.Job.Id == "0");
        Assert.Null(failed.Result);
        Assert.IsType<ProgramNotFoundException>(failed.StartError);
        Assert.True(results.Single(r => r.Job.Id == "1").Succeeded);
    }

    [Fact]
    public void A_runner_runs_one_batch()
    {
        var runner = new BatchRunner();
        _ = runner.RunAsync(Array.Empty<BatchJob>());
        Assert.Throws<InvalidOperationException>(() => runner.RunAsync(Array.Empty<BatchJob>()));
        Assert.Throws<ArgumentOutOfRangeException>(() => new BatchRunner(new BatchOptions { MaxParallelism = 0 }));
    }
}
