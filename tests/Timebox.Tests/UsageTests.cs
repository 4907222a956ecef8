using System.Globalization;
using System.Text.RegularExpressions;
using Timebox.Tests.Support;

namespace Timebox.Tests;

// Measured CPU time is CPU time, not wall time, so a busy machine does not skew it much; still, these run alone.
[Collection(SerialCollection.Name)]
public sealed class UsageTests : ChildTest
{
    private const string GnuTime = "/usr/bin/time";

    [Fact]
    public async Task Cpu_time_matches_what_gnu_time_reports_for_the_same_workload()
    {
        var (timeUser, timeSystem, _) = await MeasureWithGnuTime("burn-cpu", "1500");
        var usage = (await Child("burn-cpu", "1500").WithTimeout(TimeSpan.FromSeconds(60)).RunAsync()).Usage!;

        AssertWithin10Percent(timeUser + timeSystem, usage.TotalCpuTime.TotalSeconds, "total CPU");
        AssertWithin10Percent(timeUser, usage.UserCpuTime.TotalSeconds, "user CPU");
    }

    [Fact]
    public async Task Peak_memory_matches_what_gnu_time_reports_for_the_same_workload()
    {
        // Linux charges a child the host's peak at exec (vfork), and other tests in this host may have raised that peak:
        // the workload must be larger than it for its own peak to show.
        var hostPeakMib = System.Diagnostics.Process.GetCurrentProcess().PeakWorkingSet64 >> 20;
        var workload = Math.Max(400, hostPeakMib + 200).ToString(CultureInfo.InvariantCulture);
        var (_, _, timePeakKib) = await MeasureWithGnuTime("touch-mib", workload);
        var usage = (await Child("touch-mib", workload).WithTimeout(TimeSpan.FromSeconds(60)).RunAsync()).Usage!;

        AssertWithin10Percent(timePeakKib * 1024.0, usage.PeakResidentSetBytes, "peak RSS");
        Assert.False(usage.PeakResidentSetIsUpperBound);
    }

    [Fact]
    public async Task A_small_program_says_its_peak_is_only_an_upper_bound_when_the_host_is_bigger()
    {
        var usage = (await Program("/bin/true").WithTimeout(Generous).RunAsync()).Usage!;

        // /bin/true needs about a MiB; the test host far more, which Linux charged to the child at exec.
        Assert.True(usage.PeakResidentSetIsUpperBound, $"peak {usage.PeakResidentSetBytes}");
        Assert.True(usage.TotalCpuTime < TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task Usage_includes_descendants_the_program_waited_for_and_is_there_after_a_timeout()
    {
        var shell = await Program("/bin/sh", "-c", $"'{TestChild.Path}' burn-cpu 800; '{TestChild.Path}' burn-cpu 800")
            .WithTimeout(TimeSpan.FromSeconds(60)).RunAsync();
        var timedOut = await Child("burn-cpu", "60000").WithTimeout(TimeSpan.FromSeconds(1)).WithGracePeriod(TimeSpan.Zero).RunAsync();

        Assert.True(shell.Succeeded);
        Assert.InRange(shell.Usage!.TotalCpuTime, TimeSpan.FromSeconds(1.6), TimeSpan.FromSeconds(5));
        Assert.Equal(Outcome.TimedOut, timedOut.Outcome);
        // Some CPU time, however little a loaded machine gave the spinner in its second; not more than it had.
        Assert.InRange(timedOut.Usage!.TotalCpuTime, TimeSpan.FromSeconds(0.05), TimeSpan.FromSeconds(2));
    }

    private async Task<(double User, double System, long PeakKib)> MeasureWithGnuTime(params string[] actions)
    {
        Assert.True(File.Exists(GnuTime), $"{GnuTime} is missing: .ci/run installs it (apt-get install time)");
        var result = await Program(GnuTime, ["-v", TestChild.Path, .. actions]).WithTimeout(TimeSpan.FromSeconds(60)).RunAsync();
        Assert.True(result.Succeeded, result.Stderr.Text);
        var report = result.Stderr.Text;
        return (Number(report, "User time (seconds)"), Number(report, "System time (seconds)"),
            (long)Number(report, "Maximum resident set size (kbytes)"));
    }

    private static double Number(string report, string label) =>
        double.Parse(Regex.Match(report, Regex.Escape(label) + @":\s*([0-9.]+)").Groups[1].Value, CultureInfo.InvariantCulture);

    private static void AssertWithin10Percent(double expected, double actual, string what) =>
        Assert.True(Math.Abs(actual - expected) <= 0.1 * expected, $"{what}: Timebox {actual}, /usr/bin/time {expected}");
}
