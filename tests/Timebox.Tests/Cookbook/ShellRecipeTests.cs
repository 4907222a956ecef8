using System.Diagnostics;
using System.Text.Json;
using Timebox.Tests.Support;

namespace Timebox.Tests.Cookbook;

/// <summary>
/// Runs each shell block of docs/cookbook.md, as written, with /bin/sh in an empty directory and the published timebox first on
/// PATH, then proves that nothing started from that directory is still alive.
/// </summary>
public sealed class ShellRecipeTests : IDisposable
{
    /// <summary>The shell blocks of the cookbook, each run by a test of this class.</summary>
    public static readonly IReadOnlySet<string> Names = new HashSet<string> { "cli-timeout", "cli-preserve-status", "cli-kill-after", "cli-idle", "cli-batch" };

    private readonly ScratchDirectory _directory = new();

    private async Task<RunResult> RunBlockAsync(string name, Func<string, string>? edit = null)
    {
        var script = (edit ?? (code => code))(CookbookSnippets.Block(name));
        var path = $"{Path.GetDirectoryName(TimeboxCli.Path)}:{Environment.GetEnvironmentVariable("PATH")}";
        return await new Command("/bin/sh", "-c", script)
            .WithWorkingDirectory(_directory.Path).WithEnvironment("PATH", path).WithEnvironment("LC_ALL", "C")
            .WithTimeout(TimeSpan.FromSeconds(60)).RunAsync();
    }

    [Fact]
    public async Task Timeout_kills_a_descendant_that_left_for_a_session_of_its_own()
    {
        var stopwatch = Stopwatch.StartNew();
        using var result = await RunBlockAsync("cli-timeout");

        Assert.Equal("started\nexit status 124\n", result.Stdout.Text);
        Assert.InRange(stopwatch.Elapsed, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Gnu_timeout_leaves_that_descendant_running()
    {
        // The control for the test above and for the cookbook's claim: the same block with GNU's timeout.
        using var result = await RunBlockAsync("cli-timeout", code => code.Replace("timebox ", "timeout ", StringComparison.Ordinal));

        Assert.Equal("started\nexit status 124\n", result.Stdout.Text);
        Assert.Single(Proc.KillSurvivorsIn(_directory.Path));
    }

    [Fact]
    public async Task Preserve_status_gives_the_status_the_command_chose_while_it_shut_down()
    {
        using var result = await RunBlockAsync("cli-preserve-status");

        Assert.Equal("cleaning up\nexit status 3\n", result.Stdout.Text);
    }

    [Fact]
    public async Task Kill_after_says_which_signals_it_sent_and_reports_that_SIGKILL_was_needed()
    {
        using var result = await RunBlockAsync("cli-kill-after");

        var lines = result.Stdout.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("exit status 137", lines[0]);
        var report = JsonDocument.Parse(lines[1]).RootElement;
        Assert.Equal("timed_out", report.GetProperty("outcome").GetString());
        Assert.Equal(9, report.GetProperty("signal").GetInt32());
        Assert.True(report.GetProperty("forced").GetBoolean());
        Assert.Contains("timebox: sending signal TERM to command 'sh'\ntimebox: sending signal KILL to command 'sh'\n", result.Stderr.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Idle_timeout_ends_a_command_whose_output_stalls_and_relays_what_it_wrote()
    {
        var stopwatch = Stopwatch.StartNew();
        using var result = await RunBlockAsync("cli-idle");

        Assert.Equal("frame=1\rframe=2\rexit status 124\n", result.Stdout.Text);
        Assert.InRange(stopwatch.Elapsed, TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Batch_gives_each_job_its_deadline_and_records_the_partial_output_of_the_one_that_timed_out()
    {
        using var result = await RunBlockAsync("cli-batch");

        Assert.EndsWith("exit status 1\n", result.Stdout.Text, StringComparison.Ordinal);
        var results = File.ReadAllLines(Path.Combine(_directory.Path, "jobs.results.jsonl"))
            .Select(line => JsonDocument.Parse(line).RootElement).ToDictionary(job => job.GetProperty("id").GetString()!);
        Assert.Equal("exited", results["quick"].GetProperty("outcome").GetString());
        Assert.Equal("timed_out", results["stuck"].GetProperty("outcome").GetString());
        Assert.Equal("working\n", results["stuck"].GetProperty("stdout").GetString());
    }

    public void Dispose() => _directory.Dispose();
}
