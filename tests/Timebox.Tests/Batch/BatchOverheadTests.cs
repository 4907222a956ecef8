using Xunit.Abstractions;
using System.Diagnostics;
using Timebox.Tests.Support;

namespace Timebox.Tests.Batch;

/// <summary>
/// What `timebox batch` costs on top of the library: 2,000 /bin/true jobs at -j 2 against the library's own loop
/// running the same commands on two workers (two sequential RunAsync loops side by side), in this process.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class BatchOverheadTests(ITestOutputHelper output) : ChildTest
{
    private const int Jobs = 2000;

    /// <summary>The target is 1.3; the bound leaves room for a loaded machine, the measured ratio is printed.</summary>
    private const double Bound = 1.3;

    [Fact]
    public async Task Two_thousand_true_jobs_at_j2_take_at_most_1_3_times_the_librarys_own_loop_on_two_workers()
    {
        using var work = new BatchWorkspace();
        work.WriteJobs(Enumerable.Range(0, Jobs).Select(i => BatchWorkspace.Job(("id", $"t{i}"), ("command", new[] { "/bin/true" }))));
        // The commands the batch builds for these jobs (see src/Timebox.Cli/Batch/JobFile.cs).
        var commands = Enumerable.Range(0, Jobs)
            .Select(_ => new Command("/bin/true").WithGracePeriod(Command.DefaultGracePeriod).WithSpill(1 << 20).WithKillOnParentExit())
            .ToList();
        await LibraryLoopAsync(commands.Take(100).ToList()); // warm-up: JIT, the event loop, the guardian

        var library = new List<TimeSpan>();
        var batch = new List<TimeSpan>();
        for (var round = 0; round < 3; round++)
        {
            library.Add(await LibraryLoopAsync(commands));
            var results = work.Path($"results-{round}.jsonl");
            var clock = Stopwatch.StartNew();
            var run = await Program(TimeboxCli.Path, "batch", work.Jobs, "-j", "2", "--progress=none", "--results", results)
                .WithTimeout(TimeSpan.FromMinutes(5)).RunAsync();
            batch.Add(clock.Elapsed);
            Assert.Equal(0, run.ExitCode);
            Assert.Equal(Jobs, File.ReadLines(results).Count());
        }

        var ratio = batch.Min() / library.Min();
        output.WriteLine($"{Jobs} x /bin/true at -j 2: timebox batch {Seconds(batch)}, library loop {Seconds(library)}; best against best {ratio:0.00}x");
        Assert.True(ratio <= Bound, $"timebox batch took {ratio:0.00}x the library's loop (batch {Seconds(batch)}, library {Seconds(library)})");
    }

    private static async Task<TimeSpan> LibraryLoopAsync(IReadOnlyList<Command> commands)
    {
        async Task Worker(int first)
        {
            for (var i = first; i < commands.Count; i += 2)
            {
                using var result = await commands[i].RunAsync();
                Assert.True(result.Succeeded);
            }
        }
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Task.Run(() => Worker(0)), Task.Run(() => Worker(1)));
        return clock.Elapsed;
    }

    private static string Seconds(IEnumerable<TimeSpan> times) => string.Join(" / ", times.Select(t => $"{t.TotalSeconds:0.00} s"));
}
