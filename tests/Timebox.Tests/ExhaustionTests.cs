using Timebox.Tests.Support;

namespace Timebox.Tests;

/// <summary>
/// Runs with the host's descriptor table full, in a host process of their own (Timebox.FaultHost): a limit set in the
/// test runner's process would break the runner itself.
/// </summary>
public sealed class ExhaustionTests : ChildTest
{
    // What a run may keep for good once it got it, each at most once: the shared loop (or the calling thread's) and /dev/null.
    private const int TerminationReserve = 4;

    private static readonly string[] KeptForGood = ["anon_inode:[eventpoll]", "anon_inode:[eventfd]", "/dev/null"];

    public static TheoryData<string, int, string> Tables()
    {
        var data = new TheoryData<string, int, string>();
        // Cold: the first run of the process meets the full table, at each step that needs a descriptor in turn.
        foreach (var mode in new[] { "async", "blocking", "start" })
            for (var free = 0; free <= 9; free++) data.Add(mode, free, "cold");
        // Warm: the loop, /dev/null and the shim are had already; the pipes and the spawn's pidfd are what fail.
        foreach (var mode in new[] { "async", "blocking" })
            for (var free = 0; free <= 5; free++) data.Add(mode, free, "warm");
        // Contained and dying with the host: the cgroup probe and cgroup, and the parent-exit guardian, fail in turn.
        for (var free = 3; free <= 10; free++) data.Add("async", free, "contained");
        return data;
    }

    [Theory]
    [MemberData(nameof(Tables))]
    public async Task A_full_descriptor_table_fails_the_start_in_words_leaks_nothing_and_the_next_run_works_once_there_is_room(string mode, int free, string variant)
    {
        var warm = variant == "warm";
        // A contained run here discards its output (so that no pipe is made before its set-up).
        var ok = variant == "contained" ? "ok" : "ok: ok";
        string[] arguments = variant == "cold" ? ["exhaust", $"{free}", mode] : ["exhaust", $"{free}", mode, variant];
        var result = await Program(TestChild.Sibling("Timebox.FaultHost"), arguments).WithTimeout(TimeSpan.FromSeconds(60)).RunAsync();

        Assert.True(result.Succeeded, result.Stdout.Text + result.Stderr.Text);
        var report = result.Stdout.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split(": ", 2)).ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : "");
        var context = result.Stdout.Text;
        Assert.True(warm ? report["warm-up"] == ok : report["warm-up"] == "none", context);
        foreach (var attempt in report["again"].Split(" | ").Append(report["first"]))
        {
            // Either there was room enough, or the documented start exception, in the system's words.
            if (attempt == ok) continue;
            Assert.StartsWith("CommandStartException: ", attempt, StringComparison.Ordinal);
            Assert.Contains("Too many open files", attempt, StringComparison.Ordinal);
            Assert.DoesNotContain("errno", attempt, StringComparison.Ordinal);
        }
        // The failed runs left no pipe behind; only what a run keeps for good, and that only once.
        var kept = report["new descriptors"].Split(", ", StringSplitOptions.RemoveEmptyEntries).Select(entry => entry.Split('=', 2)[1]).ToList();
        if (warm) Assert.True(kept.Count == 0, context);
        // The parent-exit guardian's pipe is kept for good too, once it runs.
        Assert.All(kept, target => Assert.True(KeptForGood.Contains(target) || (variant == "contained" && target.StartsWith("pipe:", StringComparison.Ordinal)), context));
        // /dev/null once for the runs, and up to four more: the reserve a kill gives up to read the process list when the
        // host is out of descriptors (DescriptorReserve), filled as far as there is room.
        Assert.True(kept.Count(target => target == "/dev/null") <= 1 + TerminationReserve, context);
        var others = kept.Where(target => target != "/dev/null").ToList();
        Assert.True(others.Distinct().Count() == others.Count, context);
        // Descriptors 0-2 of the host are what they were, after every finalizer has run.
        Assert.True(report["standard streams kept"] == "True", context);
        // Nothing of the failure was cached: with the limit raised, and with the table emptied, runs work.
        Assert.True(report["raised"] == ok, context);
        Assert.True(report["released"] == ok, context);
    }
}
