using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Timebox.Bench;

/// <summary>
/// Many runs whose deadlines pass at the same instant, each a small shell tree (a shell and two sleeps): how late each
/// call returns past that instant, what survives, and how much CPU the event loop's thread spent. The baseline is the
/// least any tool can do: the same trees started by <see cref="Process"/> in sessions of their own, and one extra thread
/// that sends each group SIGTERM at the deadline.
/// </summary>
internal static partial class TimeoutWave
{
    public const string Script = "sleep 3600 & sleep 3600; wait";

    private const int Sigterm = 15;

    // Long enough for every run to be started before the deadline (a shell and its two sleeps took 7-8 ms to start on 2
    // cores, with System.Diagnostics.Process as with Timebox); a wave that could not start in time is run again with twice
    // the lead.
    private static TimeSpan Lead(int runs) => TimeSpan.FromSeconds(2 + (runs * 0.012));

    /// <summary>One wave of Timebox runs: lateness in ms, and the loop thread's CPU time during the wave in ms.</summary>
    public static async Task<(List<double> LateMs, double LoopCpuMs)> Timebox(int runs)
    {
        for (var lead = Lead(runs); ; lead *= 2)
            if (await Timebox(runs, lead) is { } wave) return wave;
    }

    private static async Task<(List<double> LateMs, double LoopCpuMs)?> Timebox(int runs, TimeSpan lead)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(lead.TotalSeconds * Stopwatch.Frequency);
        var loopCpuBefore = LoopThreadCpuMs();
        var late = new double[runs];
        var calls = new List<Task>(runs);
        for (var i = 0; i < runs; i++)
        {
            var index = i;
            var timeout = TimeSpan.FromSeconds((deadline - Stopwatch.GetTimestamp()) / (double)Stopwatch.Frequency);
            if (timeout <= TimeSpan.Zero)
            {
                await Task.WhenAll(calls);
                return null;
            }
            calls.Add(Command.Shell(Script).WithTimeout(timeout).RunAsync().ContinueWith(task =>
            {
                late[index] = (Stopwatch.GetTimestamp() - deadline) * 1000.0 / Stopwatch.Frequency;
                if (task.Result.Outcome != Outcome.TimedOut) throw new InvalidOperationException($"a wave run ended {task.Result.Outcome}");
            }, TaskScheduler.Default));
        }
        await Task.WhenAll(calls);
        return ([.. late], LoopThreadCpuMs() - loopCpuBefore);
    }

    /// <summary>The baseline: lateness in ms of the same trees, each in a session of its own, killed by group from one thread.</summary>
    public static async Task<List<double>> KillByGroup(int runs)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(Lead(runs).TotalSeconds * Stopwatch.Frequency);
        var children = Enumerable.Range(0, runs)
            .Select(_ => Process.Start(new ProcessStartInfo("setsid", ["/bin/sh", "-c", Script]) { UseShellExecute = false })!).ToList();
        var late = new double[runs];
        var waits = children.Select(async (child, index) =>
        {
            await child.WaitForExitAsync();
            late[index] = (Stopwatch.GetTimestamp() - deadline) * 1000.0 / Stopwatch.Frequency;
            child.Dispose();
        }).ToList();
        var killer = new Thread(() =>
        {
            var remaining = TimeSpan.FromSeconds((deadline - Stopwatch.GetTimestamp()) / (double)Stopwatch.Frequency);
            if (remaining > TimeSpan.Zero) Thread.Sleep(remaining);
            foreach (var child in children) _ = kill(-child.Id, Sigterm);
        });
        killer.Start();
        await Task.WhenAll(waits);
        killer.Join();
        return [.. late];
    }

    // On-CPU time of the thread the library names "Timebox event loop" (comm keeps 15 bytes), from its schedstat (ns).
    private static double LoopThreadCpuMs()
    {
        foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            try
            {
                if (File.ReadAllText(Path.Combine(task, "comm")).Trim() != "Timebox event l") continue;
                var nanoseconds = File.ReadAllText(Path.Combine(task, "schedstat")).Split(' ')[0];
                return long.Parse(nanoseconds, CultureInfo.InvariantCulture) / 1e6;
            }
            catch (IOException)
            {
                // a thread that ended meanwhile
            }
        }
        return 0;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);
}
