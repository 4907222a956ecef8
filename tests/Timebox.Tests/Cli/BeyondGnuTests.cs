using System.Text.Json;
using Timebox.Tests.Support;

namespace Timebox.Tests.Cli;

/// <summary>
/// Where timebox is expected to differ from the system's GNU timeout (Debian's 9.1): full containment, the
/// parent-death signal and tiny durations (which upstream also fixed); and timebox's own options.
/// </summary>
public sealed class BeyondGnuTests : CliTest
{
    [Theory]
    [InlineData("new-session")]
    [InlineData("double-fork")]
    [InlineData("new-group")]
    public async Task Timebox_kills_descendants_that_escaped_the_process_group_where_GNU_leaves_them(string mode)
    {
        // Four seconds: the escapee must have started and left the group before the deadline, also on a loaded machine
        // (two were too few for GNU's run once, beside the other tests on two cores).
        var ours = await RunTool("timebox", Concat(["4"], ChildArgs("spawn", mode, "[", "hold", "]", "hold")));
        Assert.Equal(124, ours.ExitCode);
        Assert.Equal(0, KillSurvivors());

        var gnu = await RunTool("timeout", Concat(["4"], ChildArgs("spawn", mode, "[", "hold", "]", "hold")));
        Assert.Equal(124, gnu.ExitCode);
        Assert.Equal(1, KillSurvivors());
    }

    [Fact]
    public async Task A_signal_the_caller_ignored_is_not_passed_on_as_upstream_does_since_9_10()
    {
        // A background job of a script has INT ignored: Debian's 9.1 still passes INT on (the command dies, 130);
        // upstream and timebox leave it ignored, so the command runs to its timeout.
        var script = $"trap '' INT; {TimeboxCli.Path} 1 {TestChild.Path} hold & pid=$!; sleep 0.3; kill -INT $pid; wait $pid";
        var result = await Program("sh", "-c", script).RunAsync();
        Assert.Equal(124, result.ExitCode);
    }

    [Fact]
    public async Task Every_terminating_signal_is_passed_on_as_upstream_does_since_9_10()
    {
        // Debian's 9.1 dies of SIGUSR1 and leaves the command running; timebox passes it on.
        var result = await SignalToolAsync("timebox", 10, 1, "hold");
        Assert.Equal(10, result.Signal);
    }

    [Fact]
    public async Task Group_only_keeps_GNUs_behaviour()
    {
        var result = await RunTool("timebox", Concat(["--group-only", "2"], ChildArgs("spawn", "new-session", "[", "hold", "]", "hold")));
        Assert.Equal(124, result.ExitCode);
        Assert.Equal(1, KillSurvivors());
    }

    [Fact]
    public async Task After_a_forwarded_signal_the_processes_the_command_left_behind_are_killed_too()
    {
        var result = await SignalToolAsync("timebox", 15, 2, "spawn", "new-session", "[", "ignore-term", "hold", "]", "hold");
        Assert.Equal(15, result.Signal);
        Assert.Equal(0, KillSurvivors());
    }

    [Fact]
    public async Task The_command_gets_the_timeout_signal_when_timebox_itself_is_killed()
    {
        var result = await SignalToolAsync("timebox", 9, 1, "hold");
        Assert.Equal(9, result.Signal);
        // The survivor check of this test (on dispose) proves the command went with it.
    }

    [Theory]
    [InlineData("1e-10")]
    [InlineData("1e-400")]
    public async Task A_tiny_positive_duration_expires_at_once(string duration)
    {
        var result = await RunTool("timebox", Concat([duration], ChildArgs("hold")));
        Assert.Equal(124, result.ExitCode);
        Assert.True(result.Duration < Generous, $"took {result.Duration}");
    }

    [Fact]
    public async Task Idle_timeout_ends_a_command_that_stops_writing_and_relays_its_output()
    {
        var result = await RunTool("timebox", Concat(["--idle-timeout", "2", "30"], ChildArgs("print", "a", "sleep", "100", "eprint", "b", "hold")));
        Assert.Equal(124, result.ExitCode);
        Assert.Equal("a\n", result.Stdout.Text);
        Assert.Equal("b\n", result.Stderr.Text);
        Assert.True(result.Duration < Generous, $"took {result.Duration}");
    }

    [Fact]
    public async Task Idle_timeout_spares_a_command_that_keeps_writing()
    {
        // Silence before the first line counts: 2 s leaves room for a .NET start-up on a loaded machine.
        var actions = Enumerable.Range(0, 8).SelectMany(i => new[] { "print", $"{i}", "sleep", "300" }).Append("exit").Append("0").ToArray();
        var result = await RunTool("timebox", Concat(["--idle-timeout", "2", "30"], ChildArgs(actions)));
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(string.Concat(Enumerable.Range(0, 8).Select(i => $"{i}\n")), result.Stdout.Text);
    }

    [Fact]
    public async Task Report_describes_a_timed_out_run()
    {
        var (result, root) = await RunWithReportAsync(Concat(["-k", "0.5", "2"], ChildArgs("ignore-term", "hold")));
        Assert.Equal(137, ShellStatus(result));
        Assert.Equal(TestChild.Path, root.GetProperty("command")[0].GetString());
        Assert.Equal("timed_out", root.GetProperty("outcome").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("exit_code").ValueKind);
        Assert.Equal(9, root.GetProperty("signal").GetInt32());
        Assert.True(root.GetProperty("forced").GetBoolean());
        Assert.True(root.GetProperty("duration_ms").GetDouble() >= 900);
        Assert.True(root.GetProperty("killed_processes").GetInt32() >= 1);
        Assert.True(root.GetProperty("peak_rss_bytes").GetInt64() > 0);
        Assert.True(root.GetProperty("cpu_user_ms").GetDouble() >= 0);
        Assert.True(root.GetProperty("cpu_system_ms").GetDouble() >= 0);
        Assert.True(DateTimeOffset.UtcNow - root.GetProperty("started_at").GetDateTimeOffset() < TimeSpan.FromMinutes(5));
    }

    [Theory]
    [InlineData(new[] { "5", "exit", "3" }, "exited", 3)]
    [InlineData(new[] { "5", "kill-self", "10" }, "signaled", null)]
    [InlineData(new[] { "--idle-timeout", "0.3", "5", "hold" }, "idle_timed_out", null)]
    public async Task Report_names_the_outcome(string[] arguments, string outcome, int? exitCode)
    {
        var durationAt = Array.FindIndex(arguments, argument => argument == "5");
        var (_, root) = await RunWithReportAsync([.. arguments[..(durationAt + 1)], TestChild.Path, .. arguments[(durationAt + 1)..]]);
        Assert.Equal(outcome, root.GetProperty("outcome").GetString());
        var code = root.GetProperty("exit_code");
        Assert.Equal(exitCode, code.ValueKind == JsonValueKind.Null ? null : code.GetInt32());
    }

    [Fact]
    public async Task Report_of_a_command_that_could_not_start()
    {
        var (result, root) = await RunWithReportAsync("5", "/nonexistent/program");
        Assert.Equal(127, result.ExitCode);
        Assert.Equal("start_failed", root.GetProperty("outcome").GetString());
        Assert.Equal(127, root.GetProperty("exit_status").GetInt32());
    }

    /// <summary>Runs timebox --report FILE ARGS... and returns how it ended and the report's JSON object.</summary>
    private async Task<(RunResult Result, JsonElement Report)> RunWithReportAsync(params string[] toolArgs)
    {
        var report = Path.GetTempFileName();
        try
        {
            var result = await RunTool("timebox", Concat(["--report", report], toolArgs));
            using var json = JsonDocument.Parse(await File.ReadAllTextAsync(report));
            return (result, json.RootElement.Clone());
        }
        finally
        {
            File.Delete(report);
        }
    }

    [Fact]
    public async Task An_unwritable_report_fails_before_the_command_runs()
    {
        var result = await RunTool("timebox", Concat(["--report", "/nonexistent/dir/report.json", "5"], ChildArgs("print", "ran")));
        Assert.Equal(125, result.ExitCode);
        Assert.StartsWith("timebox: cannot write report '/nonexistent/dir/report.json'", result.Stderr.Text, StringComparison.Ordinal);
        Assert.Empty(result.Stdout.Text);
    }

    [Fact]
    public async Task Verbose_ends_with_a_summary_line()
    {
        var result = await RunTool("timebox", Concat(["-v", "0.5"], ChildArgs("hold")));
        var lines = result.Stderr.Text.TrimEnd('\n').Split('\n');
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("timebox: timed_out after ", lines[1], StringComparison.Ordinal);
        Assert.Contains("cpu ", lines[1], StringComparison.Ordinal);
        Assert.Contains("peak memory ", lines[1], StringComparison.Ordinal);
    }
}
