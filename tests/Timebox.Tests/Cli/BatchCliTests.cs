using Xunit.Abstractions;
using System.Diagnostics;
using System.Text.Json;
using Timebox.Tests.Support;

namespace Timebox.Tests.Cli;

/// <summary>`timebox batch`, black-box through the published native binary, with the TestChild and system programs as jobs.</summary>
public sealed class BatchCliTests(ITestOutputHelper output) : CliTest, IDisposable
{
    private readonly BatchWorkspace _work = new();

    private Command Batch(params string[] args) =>
        Program(TimeboxCli.Path, ["batch", .. args]).WithEnvironment("LC_ALL", "C").WithTimeout(TimeSpan.FromSeconds(120));

    private static string Str(JsonElement line, string name) => line.GetProperty(name).GetString()!;

    private static int? Int(JsonElement line, string name) =>
        line.GetProperty(name).ValueKind == JsonValueKind.Null ? null : line.GetProperty(name).GetInt32();

    [Fact]
    public async Task Five_hundred_mixed_jobs_at_j8_yield_exactly_500_result_lines_with_the_right_outcomes()
    {
        var jobs = new List<string>();
        for (var i = 0; i < 500; i++)
        {
            var id = $"{Kind(i)}-{i}";
            jobs.Add(Kind(i) switch
            {
                "ok" => BatchWorkspace.Job(("id", id), ("shell", $"echo {id}")),
                "true" => BatchWorkspace.Job(("id", id), ("command", new[] { "/bin/true" })),
                "fail" => BatchWorkspace.Job(("id", id), ("shell", "echo oops >&2; exit 3")),
                "child-fail" => BatchWorkspace.Job(("id", id), ("command", new[] { TestChild.Path, "exit", "7" })),
                "timeout" => BatchWorkspace.Job(("id", id), ("command", new[] { "sleep", "30" }), ("timeout", "0.2")),
                "idle" => BatchWorkspace.Job(("id", id), ("shell", "echo started; exec sleep 30"), ("idle_timeout", 0.2), ("timeout", "1m")),
                "child-timeout" => BatchWorkspace.Job(("id", id), ("command", new[] { TestChild.Path, "spawn", "new-session", "[", "hold", "]", "hold" }), ("timeout", "1s"), ("kill_after", "2s")),
                _ => BatchWorkspace.Job(("id", id), ("shell", "kill -9 $$")),
            });
        }
        _work.WriteJobs(jobs);

        var clock = Stopwatch.StartNew();
        var result = await Batch(_work.Jobs, "-j", "8").WithTimeout(TimeSpan.FromMinutes(5)).RunAsync();
        clock.Stop();

        var lines = _work.ReadResults();
        Assert.Equal(500, lines.Count);
        Assert.Equal(500, lines.Select(line => Str(line, "id")).Distinct().Count());
        Assert.Equal(1, result.ExitCode);
        foreach (var line in lines)
        {
            var id = Str(line, "id");
            var (outcome, exitCode, signal, status) = id[..id.LastIndexOf('-')] switch
            {
                "ok" or "true" => ("exited", (int?)0, (int?)null, 0),
                "fail" => ("exited", 3, null, 3),
                "child-fail" => ("exited", 7, null, 7),
                "timeout" or "child-timeout" => ("timed_out", null, 15, 124),
                "idle" => ("idle_timed_out", null, 15, 124),
                _ => ("signaled", null, 9, 137),
            };
            Assert.True(outcome == Str(line, "outcome"), $"{id}: {line}");
            Assert.Equal(exitCode, Int(line, "exit_code"));
            Assert.Equal(signal, Int(line, "signal"));
            Assert.Equal(status, line.GetProperty("exit_status").GetInt32());
            Assert.Equal(1, line.GetProperty("attempt").GetInt32());
            if (id.StartsWith("ok-", StringComparison.Ordinal)) Assert.Equal($"{id}\n", Str(line, "stdout"));
            if (id.StartsWith("fail-", StringComparison.Ordinal)) Assert.Equal("oops\n", Str(line, "stderr"));
            if (id.StartsWith("idle-", StringComparison.Ordinal)) Assert.Equal("started\n", Str(line, "stdout"));
            if (id.StartsWith("child-timeout-", StringComparison.Ordinal)) Assert.True(line.GetProperty("killed_processes").GetInt32() >= 1, $"{id}: {line}");
        }
        // The escaped copy counts too, when it had started before the deadline (on a loaded machine not always).
        Assert.Contains(lines, line => Str(line, "id").StartsWith("child-timeout-", StringComparison.Ordinal) && line.GetProperty("killed_processes").GetInt32() >= 2);
        Assert.Contains("500 of 500 jobs", result.Stdout.Text, StringComparison.Ordinal);
        output.WriteLine($"500 jobs at -j 8: {clock.Elapsed.TotalSeconds:0.0} s");
        // The survivor check of this test proves that the TestChild jobs and their escaped copies are gone.
    }

    private static string Kind(int i) => (i % 20) switch
    {
        < 5 => "ok",
        < 8 => "true",
        < 11 => "fail",
        < 13 => "child-fail",
        < 15 => "timeout",
        < 17 => "idle",
        < 18 => "child-timeout",
        _ => "killed",
    };

    [Fact]
    public async Task Killed_with_SIGKILL_midway_then_rerun_completes_the_rest_without_running_a_recorded_job_twice()
    {
        const int count = 40;
        var marker = _work.Path("ran.txt");
        _work.WriteJobs(Enumerable.Range(0, count).Select(i =>
            BatchWorkspace.Job(("id", $"j{i}"), ("shell", $"echo j{i} >> '{marker}'; exec '{TestChild.Path}' sleep 300"))));

        using (var first = Batch(_work.Jobs, "-j", "4").Start())
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (_work.ReadResults().Count < 12)
            {
                Assert.True(DateTime.UtcNow < deadline, "the batch did not record 12 results within a minute");
                Assert.False(first.HasEnded, "the batch ended before it was killed");
                Thread.Sleep(20);
            }
            first.Signal(Proc.SIGKILL);
            var killed = await first.WaitAsync();
            Assert.Equal(Proc.SIGKILL, killed.Signal);
        }
        // The jobs in flight died with the batch (kill-on-parent-exit), not by anyone's hand.
        var settle = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (LoggedProcesses.Any(p => Proc.IsSameAndAlive(p.Pid, p.StartTime)))
        {
            Assert.True(DateTime.UtcNow < settle, "jobs outlived the batch killed by SIGKILL");
            Thread.Sleep(10);
        }
        var recorded = _work.ReadResults().Select(line => Str(line, "id")).ToHashSet();
        Assert.InRange(recorded.Count, 12, count - 1);

        var second = await Batch(_work.Jobs, "-j", "4").RunAsync();
        Assert.Equal(0, second.ExitCode);
        Assert.Contains($"{recorded.Count} already recorded", second.Stdout.Text, StringComparison.Ordinal);

        var lines = _work.ReadResults();
        Assert.Equal(count, lines.Count);
        Assert.Equal(count, lines.Select(line => Str(line, "id")).Distinct().Count());
        Assert.All(lines, line => Assert.Equal("exited", Str(line, "outcome")));
        var runs = File.ReadAllLines(marker).GroupBy(id => id).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(count, runs.Count);
        foreach (var id in recorded) Assert.True(runs[id] == 1, $"{id} was recorded by the first run and ran {runs[id]} times");
        // Only jobs in flight at the kill (never recorded) ran twice: at most one per worker.
        Assert.InRange(runs.Values.Count(n => n == 2), 0, 4);
        Assert.All(runs.Values, n => Assert.InRange(n, 1, 2));
    }

    [Fact]
    public async Task Malformed_lines_are_reported_with_their_line_number_and_skipped()
    {
        File.WriteAllText(_work.Jobs, string.Join('\n',
            """{"id":"a","command":["true"]}""",
            "not json at all",
            """{"id":"b","command":"true"}""",
            "",
            """{"id":"c","shell":"exit 0","timeout":"soon"}""",
            """{"id":"d","shell":"true","colour":"red"}""",
            """{"id":"a","shell":"true"}""",
            """[1,2]""",
            """{"id":"e","shell":"echo fine"}""") + "\n");

        var result = await Batch(_work.Jobs).RunAsync();

        Assert.Equal(1, result.ExitCode);
        var errors = result.Stderr.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(6, errors.Length);
        Assert.StartsWith($"timebox: {_work.Jobs}:2: not valid JSON", errors[0], StringComparison.Ordinal);
        Assert.StartsWith($"timebox: {_work.Jobs}:3: command must be an array of strings", errors[1], StringComparison.Ordinal);
        Assert.StartsWith($"timebox: {_work.Jobs}:5: timeout: invalid time interval 'soon'", errors[2], StringComparison.Ordinal);
        Assert.StartsWith($"timebox: {_work.Jobs}:6: unknown field 'colour'", errors[3], StringComparison.Ordinal);
        Assert.StartsWith($"timebox: {_work.Jobs}:7: duplicate id 'a' (first on line 1)", errors[4], StringComparison.Ordinal);
        Assert.StartsWith($"timebox: {_work.Jobs}:8: a job must be a JSON object", errors[5], StringComparison.Ordinal);
        Assert.All(errors, error => Assert.EndsWith("; line skipped", error, StringComparison.Ordinal));
        Assert.Equal(["a", "e"], _work.ReadResults().Select(line => Str(line, "id")).Order());
        Assert.Contains("6 malformed lines skipped", result.Stdout.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_result_line_is_the_report_object_field_for_field_then_the_batch_fields()
    {
        var report = _work.Path("report.json");
        var single = await Tool("timebox", Concat(["--report", report, "5"], ChildArgs("print", "hi"))).RunAsync();
        Assert.Equal(0, single.ExitCode);
        _work.WriteJobs([
            BatchWorkspace.Job(("id", "small"), ("command", ChildArgs("print", "hi", "eprint", "err"))),
            BatchWorkspace.Job(("id", "large/1"), ("command", ChildArgs("out", "5000")), ("env", new Dictionary<string, string?> { ["X"] = "1" }), ("cwd", _work.Directory)),
            BatchWorkspace.Job(("id", "stdin"), ("command", ChildArgs("echo-stdin")), ("stdin", "fed\n")),
        ]);

        var result = await Batch(_work.Jobs, "--inline-limit", "4096", "--results", _work.Path("r.jsonl")).RunAsync();

        Assert.Equal(0, result.ExitCode);
        var reportFields = JsonDocument.Parse(File.ReadAllText(report)).RootElement.EnumerateObject().Select(p => p.Name).ToList();
        var lines = File.ReadAllLines(_work.Path("r.jsonl")).Select(line => JsonDocument.Parse(line).RootElement).ToDictionary(line => Str(line, "id"));
        Assert.All(lines.Values, line => Assert.Equal(
            [.. reportFields, "id", "attempt", "stdout", "stdout_file", "stderr", "stderr_file"], line.EnumerateObject().Select(p => p.Name)));

        Assert.Equal("hi\n", Str(lines["small"], "stdout"));
        Assert.Equal("err\n", Str(lines["small"], "stderr"));
        Assert.Equal(JsonValueKind.Null, lines["small"].GetProperty("stdout_file").ValueKind);
        Assert.Equal("fed\n", Str(lines["stdin"], "stdout"));
        var large = lines["large/1"];
        Assert.Equal(JsonValueKind.Null, large.GetProperty("stdout").ValueKind);
        var file = Str(large, "stdout_file");
        Assert.StartsWith(_work.Path("r.output") + "/large_1-", file, StringComparison.Ordinal);
        Assert.Equal(5000, new FileInfo(file).Length);
    }

    [Fact]
    public async Task Ctrl_C_stops_gracefully_records_the_running_jobs_as_canceled_and_a_rerun_resumes()
    {
        _work.WriteJobs(Enumerable.Range(0, 6).Select(i => BatchWorkspace.Job(("id", $"s{i}"), ("command", ChildArgs("sleep", "1500")))));
        var clock = Stopwatch.StartNew();
        RunResult stopped;
        using (var batch = Batch(_work.Jobs, "-j", "3").Start())
        {
            WaitForLoggedProcesses(3);
            batch.Signal(2);
            stopped = await batch.WaitAsync();
        }

        Assert.Equal(130, stopped.ExitCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1.5) + Generous / 2, $"took {clock.Elapsed}");
        Assert.Contains("press Ctrl-C again", stopped.Stderr.Text, StringComparison.Ordinal);
        var canceled = _work.ReadResults();
        Assert.Equal(3, canceled.Count);
        Assert.All(canceled, line => Assert.Equal("canceled", Str(line, "outcome")));
        Assert.All(canceled, line => Assert.Equal(15, Int(line, "signal")));

        var resumed = await Batch(_work.Jobs, "-j", "3").RunAsync();
        Assert.Equal(0, resumed.ExitCode);
        var lines = _work.ReadResults();
        Assert.Equal(9, lines.Count);
        Assert.Equal(6, lines.Skip(3).Select(line => Str(line, "id")).Distinct().Count());
        Assert.All(lines.Skip(3), line => Assert.Equal("exited", Str(line, "outcome")));
    }

    [Fact]
    public async Task A_second_Ctrl_C_kills_the_running_jobs_at_once()
    {
        _work.WriteJobs(Enumerable.Range(0, 2).Select(i =>
            BatchWorkspace.Job(("id", $"stubborn{i}"), ("command", ChildArgs("ignore-term", "write-file", _work.Path($"ready{i}"), "1", "hold")), ("kill_after", "5m"))));
        var clock = Stopwatch.StartNew();
        RunResult stopped;
        using (var batch = Batch(_work.Jobs, "-j", "2").Start())
        {
            var deadline = DateTime.UtcNow + Generous;
            while (!File.Exists(_work.Path("ready0")) || !File.Exists(_work.Path("ready1")))
            {
                Assert.True(DateTime.UtcNow < deadline, "the jobs did not start ignoring SIGTERM in time");
                Thread.Sleep(10);
            }
            batch.Signal(2);
            Thread.Sleep(300);
            Assert.False(batch.HasEnded, "the first Ctrl-C did not wait for the grace period");
            batch.Signal(2);
            stopped = await batch.WaitAsync();
        }

        Assert.Equal(130, stopped.ExitCode);
        Assert.True(clock.Elapsed < Generous, $"took {clock.Elapsed}");
        var lines = _work.ReadResults();
        Assert.Equal(2, lines.Count);
        Assert.All(lines, line => Assert.Equal("canceled", Str(line, "outcome")));
        Assert.All(lines, line => Assert.Equal(9, Int(line, "signal")));
        Assert.All(lines, line => Assert.True(line.GetProperty("forced").GetBoolean()));
    }

    [Fact]
    public async Task A_CPU_limit_kill_is_recorded_as_such_and_read_back_as_such_on_resume()
    {
        // SIGXCPU from the soft limit the job's shell set (a hard one equal to it would send SIGKILL): the library's
        // CpuLimitExceeded, of the signaled family for --retry-on.
        _work.WriteJobs([BatchWorkspace.Job(("id", "spin"), ("shell", $"ulimit -S -t 1; exec '{TestChild.Path}' burn-cpu 20000"))]);

        await Batch(_work.Jobs).RunAsync();
        var first = Assert.Single(_work.ReadResults());
        Assert.Equal("cpu_limit_exceeded", Str(first, "outcome"));
        Assert.Equal(24, Int(first, "signal"));

        // Read back as what it was: done (not retried on the default timed_out, idle_timed_out), so not run again...
        await Batch(_work.Jobs).RunAsync();
        Assert.Single(_work.ReadResults());
        // ...and still a signaled kill for --retry-on, as when it was live: retried under the next attempt number.
        await Batch(_work.Jobs, "--retries", "1", "--retry-on", "signaled").RunAsync();
        var lines = _work.ReadResults();
        Assert.Equal([1, 2], lines.Select(line => line.GetProperty("attempt").GetInt32()));
        Assert.All(lines, line => Assert.Equal("cpu_limit_exceeded", Str(line, "outcome")));
    }

    [Fact]
    public async Task Retries_are_recorded_one_line_per_attempt()
    {
        var counter = _work.Path("count");
        _work.WriteJobs([BatchWorkspace.Job(("id", "flaky"), ("shell", $"n=$(cat '{counter}' 2>/dev/null || echo 0); n=$((n+1)); echo $n > '{counter}'; exit $((3 - n))"))]);

        var result = await Batch(_work.Jobs, "--retries", "5", "--retry-on", "exited").RunAsync();

        Assert.Equal(0, result.ExitCode);
        var lines = _work.ReadResults();
        Assert.Equal([1, 2, 3], lines.Select(line => line.GetProperty("attempt").GetInt32()));
        Assert.Equal([2, 1, 0], lines.Select(line => Int(line, "exit_code")!.Value));
    }

    [Fact]
    public async Task A_command_called_batch_still_runs_after_a_duration()
    {
        File.WriteAllText(_work.Path("batch"), "#!/bin/sh\necho \"batch ran with $*\"\n");
        File.SetUnixFileMode(_work.Path("batch"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var result = await Tool("timebox", "5", "batch", "x").WithEnvironment("PATH", $"{_work.Directory}:/usr/bin:/bin").RunAsync();

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("batch ran with x\n", result.Stdout.Text);
    }

    [Fact]
    public async Task Batch_as_the_first_argument_is_the_subcommand()
    {
        var missing = await Batch().RunAsync();
        Assert.Equal(125, missing.ExitCode);
        Assert.Equal("timebox: batch: missing job file operand\nTry 'timebox batch --help' for more information.\n", missing.Stderr.Text);

        var help = await Batch("--help").RunAsync();
        Assert.Equal(0, help.ExitCode);
        Assert.StartsWith("Usage: timebox batch JOBS.jsonl [OPTION]...", help.Stdout.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_live_view_draws_in_place_and_ends_with_the_summary_table()
    {
        _work.WriteJobs(Enumerable.Range(0, 6).Select(i => BatchWorkspace.Job(("id", $"j{i}"), ("command", ChildArgs("sleep", "400", "exit", i == 5 ? "1" : "0")))));

        var result = await Batch(_work.Jobs, "-j", "3", "--progress=live").RunAsync();

        Assert.Equal(1, result.ExitCode);
        var screen = result.Stdout.Text;
        Assert.Contains("\u001b[J", screen, StringComparison.Ordinal);
        Assert.Contains("jobs/s", screen, StringComparison.Ordinal);
        Assert.Contains("ETA", screen, StringComparison.Ordinal);
        Assert.Contains("running 3 of 3, slowest:", screen, StringComparison.Ordinal);
        Assert.Contains("6 of 6 jobs in", screen, StringComparison.Ordinal);
        Assert.Matches(@"failed +\u001b\[0m +1 ", screen);
    }

    [Fact]
    public async Task The_JIT_build_runs_batches_in_process()
    {
        _work.WriteJobs([BatchWorkspace.Job(("id", "one"), ("command", ChildArgs("print", "in process")))]);

        var result = await Program("dotnet", TimeboxCli.JitAssembly, "batch", _work.Jobs).WithTimeout(TimeSpan.FromSeconds(60)).RunAsync();

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("in process\n", Str(_work.ReadResults().Single(), "stdout"));
    }

    public new void Dispose()
    {
        _work.Dispose();
        base.Dispose();
    }
}
