using System.Globalization;
using Timebox.Tests.Support;

namespace Timebox.Tests.Cli;

/// <summary>The --html report of `timebox batch`, opened in a real headless browser (Debian's chromium).</summary>
public sealed class BatchHtmlReportTests : CliTest, IDisposable
{
    private readonly BatchWorkspace _work = new();

    [Fact]
    public async Task The_report_loads_without_errors_and_its_screenshot_shows_the_timeline()
    {
        var jobs = new List<string>();
        for (var i = 0; i < 24; i++)
        {
            jobs.Add((i % 4) switch
            {
                0 => BatchWorkspace.Job(("id", $"ok-{i}"), ("command", ChildArgs("sleep", "300"))),
                1 => BatchWorkspace.Job(("id", $"fail-{i}"), ("shell", "sleep 0.2; exit 1")),
                2 => BatchWorkspace.Job(("id", $"slow-{i}"), ("command", ChildArgs("hold")), ("timeout", "0.6")),
                _ => BatchWorkspace.Job(("id", $"<b>&'quoted'-{i}"), ("shell", "sleep 0.1")),
            });
        }
        _work.WriteJobs(jobs);
        var html = _work.Path("report.html");

        var batch = await Program(TimeboxCli.Path, "batch", _work.Jobs, "-j", "4", "--html", html).WithTimeout(TimeSpan.FromSeconds(120)).RunAsync();
        Assert.Equal(1, batch.ExitCode);
        var page = File.ReadAllText(html);
        Assert.DoesNotContain("http://", page.Replace("http://www.w3.org/2000/svg", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.DoesNotContain("https://", page, StringComparison.Ordinal);
        Assert.Contains("&lt;b&gt;&amp;&#39;quoted&#39;-3", page, StringComparison.Ordinal);

        var url = new Uri(html).AbsoluteUri;
        var dom = await Chromium.Headless(_work.Path("profile-dom"), "--enable-logging=stderr", "--v=0", "--dump-dom", url).RunAsync();
        Assert.Equal(0, dom.ExitCode);
        // The page's script ran to its end: it marks the body and counts the bars it finds.
        Assert.Contains("data-ready=\"yes\"", dom.Stdout.Text, StringComparison.Ordinal);
        Assert.Contains("data-bars=\"24\"", dom.Stdout.Text, StringComparison.Ordinal);
        // The page logs nothing: any console line (an uncaught error above all) is a failure.
        var console = dom.Stderr.Text.Split('\n').Where(line => line.Contains(":CONSOLE", StringComparison.Ordinal)).ToList();
        Assert.True(console.Count == 0, string.Join('\n', console));

        var png = _work.Path("report.png");
        var shot = await Chromium.Headless(_work.Path("profile-shot"), $"--screenshot={png}", "--window-size=1200,800", url).RunAsync();
        Assert.Equal(0, shot.ExitCode);
        Assert.True(new FileInfo(png).Length > 10_000, "the screenshot is nearly empty");
        var image = Png.Read(png);
        Assert.Equal(1200, image.Width);
        // The bars, in the outcome colors of the report: succeeded, failed and timed_out are each well visible.
        Assert.True(image.Count(Rgb("#2e9e44")) > 2000, "no green (succeeded) bars in the screenshot");
        Assert.True(image.Count(Rgb("#d7263d")) > 2000, "no red (failed) bars in the screenshot");
        Assert.True(image.Count(Rgb("#f08c00")) > 2000, "no orange (timed_out) bars in the screenshot");
    }

    private static (byte, byte, byte) Rgb(string css) =>
        (byte.Parse(css.AsSpan(1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture),
         byte.Parse(css.AsSpan(3, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture),
         byte.Parse(css.AsSpan(5, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture));

    public new void Dispose()
    {
        _work.Dispose();
        base.Dispose();
    }
}
