using Timebox.Tests.Support;

namespace Timebox.Tests;

[Collection(SerialCollection.Name)]
public sealed class ScaleTests : ChildTest
{
    [Fact]
    public async Task Large_output_on_both_pipes_at_once_does_not_deadlock()
    {
        var result = await Program("sh", "-c", "head -c 50000000 /dev/zero >&2 & head -c 60000000 /dev/zero; wait")
            .WithTimeout(TimeSpan.FromSeconds(60)).RunAsync();

        Assert.True(result.Succeeded);
        Assert.Equal(60_000_000, result.Stdout.Length);
        Assert.Equal(50_000_000, result.Stderr.Length);
    }

    [Fact]
    public async Task One_gibibyte_is_captured_as_bytes_without_a_string()
    {
        const long size = 1L << 30;
        using var result = await Program("head", "-c", size.ToString(System.Globalization.CultureInfo.InvariantCulture), "/dev/zero")
            .WithTimeout(TimeSpan.FromSeconds(120)).RunAsync();

        Assert.True(result.Succeeded);
        Assert.Equal(size, result.Stdout.Length);
        Assert.True(result.Stdout.IsSpilled, "past the default threshold the capture lives in a file, not in memory");
        await using var stream = result.Stdout.OpenRead();
        var buffer = new byte[1 << 20];
        long total = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0) total += read;
        Assert.Equal(size, total);
    }

    [Fact]
    public async Task Hundreds_of_concurrent_runs_share_a_few_threads()
    {
        var threadsBefore = Proc.ThreadCount();
        var runs = Enumerable.Range(0, 300).Select(_ =>
            Program("sleep", "1").WithTimeout(TimeSpan.FromSeconds(30)).RunAsync()).ToArray();
        var peakThreads = Proc.ThreadCount();
        var results = await Task.WhenAll(runs);

        Assert.All(results, result => Assert.True(result.Succeeded));
        Assert.InRange(peakThreads - threadsBefore, -50, 40);
    }

    [Fact]
    public async Task Two_thousand_mixed_runs_leak_no_descriptor_thread_or_process()
    {
        static Command Mixed(int i) => (i % 10) switch
        {
            0 => new Command("sleep", "10").WithTimeout(TimeSpan.FromMilliseconds(20)).WithGracePeriod(TimeSpan.Zero),
            1 => new Command("sleep", "10").WithTimeout(TimeSpan.FromMilliseconds(20)).WithGracePeriod(TimeSpan.FromMilliseconds(50)),
            2 or 3 => new Command("false"),
            4 => new Command("echo", "streamed").WithStdout(OutputTarget.ToStream(Stream.Null)).WithStdin(StdinSource.FromString("in")),
            _ => new Command("echo", "x"),
        };

        // Warm up with one run of each kind, so that lazily created runtime state (thread pool, event loop, assemblies and
        // their symbol files loaded on first use) is counted in the baseline.
        foreach (var kind in Enumerable.Range(0, 10)) await Mixed(kind).RunAsync();
        var fdsBefore = Proc.CountOpenFds();
        var threadsBefore = Proc.ThreadCount();

        using var gate = new SemaphoreSlim(8);
        var runs = Enumerable.Range(0, 2000).Select(async i =>
        {
            await gate.WaitAsync();
            try
            {
                return await Mixed(i).RunAsync();
            }
            finally
            {
                gate.Release();
            }
        }).ToArray();
        var results = await Task.WhenAll(runs);

        Assert.Equal(400, results.Count(r => r.Outcome == Outcome.TimedOut));
        Assert.Equal(400, results.Count(r => r.ExitCode == 1));
        Assert.Equal(1200, results.Count(r => r.Succeeded));
        Assert.Equal(200, results.Count(r => r.Succeeded && r.Stdout.Length == 0));
        Assert.InRange(Proc.CountOpenFds() - fdsBefore, -20, 5);
        Assert.InRange(Proc.ThreadCount() - threadsBefore, -50, 10);
        Assert.Empty(Proc.ZombieChildren());
        Assert.DoesNotContain(Proc.ChildrenOf(Environment.ProcessId), Proc.IsAlive);
    }

    [Fact]
    public async Task Async_runs_started_side_by_side_from_many_threads_each_get_their_own_output_and_status()
    {
        // Without a deadline, the thread that starts a run adds its pidfd and pipes to the shared loop's epoll set itself
        // while the loop closes those of runs that end, so descriptor numbers pass from run to run across threads.
        static Command Numbered(int i) => new("sh", "-c", $"echo out{i}; echo err{i} >&2; exit {i % 7}");
        await Numbered(0).RunAsync();
        var fdsBefore = Proc.CountOpenFds();

        using var gate = new SemaphoreSlim(32);
        var runs = Enumerable.Range(0, 1000).Select(i => Task.Run(async () =>
        {
            await gate.WaitAsync();
            try
            {
                return (Index: i, Result: await Numbered(i).RunAsync());
            }
            finally
            {
                gate.Release();
            }
        })).ToArray();
        var results = await Task.WhenAll(runs);

        Assert.All(results, run =>
        {
            Assert.Equal($"out{run.Index}\n", run.Result.Stdout.Text);
            Assert.Equal($"err{run.Index}\n", run.Result.Stderr.Text);
            Assert.Equal(run.Index % 7, run.Result.ExitCode);
        });
        Assert.InRange(Proc.CountOpenFds() - fdsBefore, -20, 5);
        Assert.Empty(Proc.ZombieChildren());
    }

    [Fact]
    public void Blocking_runs_leak_no_descriptor_however_they_end()
    {
        // A blocking run keeps the child's ends of its capture pipes until it has read the leader's exit, so each way of
        // ending must let go of them: exit, failure, timeout, and a leader whose background child still holds the pipes.
        RunResult Mixed(int i) => ((i % 5) switch
        {
            0 => new Command("sleep", "10").WithTimeout(TimeSpan.FromMilliseconds(20)).WithGracePeriod(TimeSpan.Zero),
            1 => new Command("false"),
            2 => Child("spawn", "new-session", "[", "hold", "]", "print", "started").WithDrainTimeout(TimeSpan.FromMilliseconds(30)),
            3 => new Command("sh", "-c", "echo out; echo err >&2").WithStderrMerged(),
            _ => new Command("echo", "x"),
        }).Run();

        foreach (var kind in Enumerable.Range(0, 5)) Mixed(kind);
        var fdsBefore = Proc.CountOpenFds();

        // Threads of their own, which end here, so that their event loops are let go of too (the next test's subject).
        var results = new List<RunResult>[4];
        var threads = Enumerable.Range(0, 4).Select(thread => new Thread(() =>
            results[thread] = Enumerable.Range(0, 50).Select(i => Mixed((thread * 50) + i)).ToList())).ToList();
        threads.ForEach(thread => thread.Start());
        threads.ForEach(thread => thread.Join());
        var all = results.SelectMany(list => list).ToList();
        KillSurvivors();
        CollectUnreachable();

        Assert.Equal(40, all.Count(r => r.Outcome == Outcome.TimedOut));
        Assert.Equal(40, all.Count(r => r.ExitCode == 1));
        Assert.Equal(40, all.Count(r => r.Succeeded && r.Stdout.Text == "started\n" && r.OutputIncomplete));
        Assert.Equal(40, all.Count(r => r.Stdout.Text == "out\nerr\n"));
        Assert.Equal(40, all.Count(r => r.Stdout.Text == "x\n"));
        Assert.InRange(Proc.CountOpenFds() - fdsBefore, -20, 5);
    }

    [Fact]
    public void Threads_that_ran_blocking_runs_leave_no_descriptor_once_they_end()
    {
        // A blocking run waits on an event loop of its calling thread's own, created on the thread's first run; pool
        // threads retire and others replace them, so a loop must not outlive its thread.
        Child("exit", "0").Run();
        CollectUnreachable();
        var fdsBefore = Proc.CountOpenFds();

        for (var i = 0; i < 20; i++)
        {
            var thread = new Thread(() => Assert.True(Child("exit", "0").Run().Succeeded));
            thread.Start();
            thread.Join();
        }
        CollectUnreachable();

        Assert.InRange(Proc.CountOpenFds() - fdsBefore, -20, 5);
    }

    private static void CollectUnreachable()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }
}
