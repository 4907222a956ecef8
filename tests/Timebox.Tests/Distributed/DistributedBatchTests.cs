using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Timebox.Tests.Support;
using Xunit.Abstractions;

namespace Timebox.Tests.Distributed;

/// <summary>
/// `timebox worker` and `timebox batch --storage`, black-box through the published binaries, against a real
/// PostgreSQL started by the fixture on 127.0.0.1. Every job is a TestChild, so the pid log proves that nothing any
/// worker ran outlived the test, the SIGKILLed worker's runs included.
/// </summary>
[Trait("Category", "Distributed")]
public sealed class DistributedBatchTests(PostgresServer postgres, ITestOutputHelper output) : ChildTest, IClassFixture<PostgresServer>, IDisposable
{
    private readonly BatchWorkspace _work = new();
    private readonly List<RunningProcess> _workers = [];

    private Command Timebox(params string[] args) =>
        Program(TimeboxCli.Path, args).WithEnvironment("LC_ALL", "C").WithTimeout(TimeSpan.FromMinutes(4));

    /// <summary>Starts a worker and waits until the storage lists it (its schema installed, its server registered).</summary>
    private RunningProcess StartWorker(string storage, string database, params string[] options)
    {
        var before = Servers(database);
        var worker = Timebox(["worker", "--storage", storage, "--requeue-after", "3s", "--poll-interval", "0.1", .. options])
            .WithWorkingDirectory(_work.Directory).Start();
        _workers.Add(worker);
        Eventually(() => Servers(database) > before || worker.HasEnded, "the worker to register");
        Assert.False(worker.HasEnded, $"the worker ended: {(worker.HasEnded ? worker.Wait().Stderr.Text : "")}");
        return worker;
    }

    private int Servers(string database) => int.TryParse(QueryOrEmpty(database, "select count(*) from hangfire.server"), out var count) ? count : 0;

    /// <summary>The query's answer, or "" before the first worker created the schema.</summary>
    private string QueryOrEmpty(string database, string sql)
    {
        try
        {
            return postgres.Query(database, sql);
        }
        catch (CommandFailedException)
        {
            return "";
        }
    }

    private static void Eventually(Func<bool> condition, string what, int seconds = 60)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(seconds), $"waited {seconds} s for {what}");
            Thread.Sleep(50);
        }
    }

    private static string DatabaseOf(string connectionString) =>
        connectionString.Split(';').Single(part => part.StartsWith("Database=", StringComparison.Ordinal))["Database=".Length..];

    private static string Str(JsonElement line, string name) => line.GetProperty(name).GetString()!;

    private static string Outcome(JsonElement line) =>
        $"{Str(line, "outcome")} exit={line.GetProperty("exit_code")} signal={line.GetProperty("signal")} status={line.GetProperty("exit_status")}";

    private static string Kind(int i) => (i % 10) switch
    {
        0 or 1 or 2 => "ok",
        3 => "fail",
        4 => "timeout",
        5 => "idle",
        6 => "slow",
        7 => "tree-timeout",
        _ => "ok",
    };

    private string MixedJob(int i)
    {
        var id = $"{Kind(i)}-{i.ToString(CultureInfo.InvariantCulture)}";
        string[] child(params string[] actions) => [TestChild.Path, .. actions];
        return Kind(i) switch
        {
            "ok" => BatchWorkspace.Job(("id", id), ("command", child("print", id))),
            "fail" => BatchWorkspace.Job(("id", id), ("command", child("eprint", "oops", "exit", "3"))),
            "timeout" => BatchWorkspace.Job(("id", id), ("command", child("hold")), ("timeout", "0.3s"), ("kill_after", "5s")),
            "idle" => BatchWorkspace.Job(("id", id), ("command", child("print", "started", "hold")), ("idle_timeout", "0.3s"), ("timeout", "1m")),
            "slow" => BatchWorkspace.Job(("id", id), ("command", child("sleep", "1500", "print", id))),
            _ => BatchWorkspace.Job(("id", id), ("command", child("spawn", "new-session", "[", "hold", "]", "hold")), ("timeout", "0.5s"), ("kill_after", "5s")),
        };
    }

    [Fact]
    public async Task Three_workers_run_300_mixed_jobs_once_each_with_the_local_outcomes_even_when_one_is_killed()
    {
        var storage = postgres.CreateDatabase("scale");
        var database = DatabaseOf(storage);
        _work.WriteJobs(Enumerable.Range(0, 300).Select(MixedJob));

        var workers = Enumerable.Range(0, 3).Select(_ => StartWorker(storage, database, "--slots", "4")).ToList();
        var clock = Stopwatch.StartNew();
        using var batch = Timebox("batch", _work.Jobs, "--storage", storage, "--progress", "plain").Start();
        Eventually(() => _work.ReadResults().Count >= 90 || batch.HasEnded, "a third of the results");
        var killedAt = _work.ReadResults().Count;
        workers[0].Signal(Proc.SIGKILL);
        var distributed = await batch.WaitAsync();
        clock.Stop();
        output.WriteLine($"300 jobs on 3 workers x 4 slots: {clock.Elapsed.TotalSeconds:0.0} s; worker 1 SIGKILLed after {killedAt} results");
        output.WriteLine(distributed.Stderr.Text);

        var lines = _work.ReadResults();
        Assert.Equal(300, lines.Count);
        Assert.Equal(300, lines.Select(line => Str(line, "id")).Distinct().Count());
        Assert.Equal(1, distributed.ExitCode);
        Assert.Contains("300 of 300 jobs", distributed.Stdout.Text, StringComparison.Ordinal);

        // The same file run here gives the same outcome for every job.
        var local = await Timebox("batch", _work.Jobs, "--results", _work.Path("local.jsonl"), "-j", "8", "--progress", "none").RunAsync();
        Assert.Equal(1, local.ExitCode);
        var localOutcomes = File.ReadAllLines(_work.Path("local.jsonl")).Select(line => JsonDocument.Parse(line).RootElement)
            .ToDictionary(line => Str(line, "id"), Outcome);
        foreach (var line in lines)
        {
            Assert.True(localOutcomes[Str(line, "id")] == Outcome(line), $"{Str(line, "id")}: here {localOutcomes[Str(line, "id")]}, on the workers {Outcome(line)}");
            if (Str(line, "id").StartsWith("ok-", StringComparison.Ordinal)) Assert.Equal(Str(line, "id") + "\n", Str(line, "stdout"));
        }

        // The killed worker's runs died with it; the others stop gracefully.
        Eventually(() => workers[0].HasEnded, "the killed worker to be reaped");
        foreach (var worker in workers.Skip(1)) worker.Signal(Proc.SIGTERM);
        foreach (var worker in workers.Skip(1)) Assert.Equal(0, (await worker.WaitAsync()).ExitCode);

        // Nothing is left in PostgreSQL but finished state: no queued or fetched job, no job in another state, no lock.
        Assert.Equal("0", postgres.Query(database, "select count(*) from hangfire.jobqueue"));
        Assert.Equal("", postgres.Query(database, "select string_agg(distinct statename, ',') from hangfire.job where statename <> 'Succeeded'"));
        Assert.Equal("300", postgres.Query(database, "select count(*) from hangfire.job"));
        Assert.Equal("0", postgres.Query(database, "select count(*) from hangfire.lock"));
        Assert.Equal("300", postgres.Query(database, "select count(*) from hangfire.hash where key like 'timebox:batch:%:results'"));
        // The kill did interrupt runs, and they ran again elsewhere: some Hangfire job was processing twice.
        Assert.NotEqual("0", postgres.Query(database,
            "select count(*) from (select jobid from hangfire.state where name = 'Processing' group by jobid having count(*) > 1) twice"));
    }

    [Fact]
    public async Task A_worker_stopped_with_TERM_ends_its_run_and_requeues_the_job_which_another_worker_then_finishes()
    {
        var storage = postgres.CreateDatabase("graceful");
        var database = DatabaseOf(storage);
        _work.WriteJobs([BatchWorkspace.Job(("id", "long"), ("command", new[] { TestChild.Path, "sleep", "4000", "print", "done" }))]);
        var first = StartWorker(storage, database, "--slots", "1");
        using var batch = Timebox("batch", _work.Jobs, "--storage", storage, "--progress", "plain").Start();
        WaitForLoggedProcesses(1);
        var run = LoggedProcesses[0];

        var clock = Stopwatch.StartNew();
        first.Signal(Proc.SIGTERM);
        var stopped = await first.WaitAsync();
        Assert.Equal(0, stopped.ExitCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"the worker took {clock.Elapsed} to stop");
        Assert.False(Proc.IsSameAndAlive(run.Pid, run.StartTime), "the run outlived its stopped worker");
        Assert.Contains("stopping: running jobs get their termination sequence", stopped.Stderr.Text, StringComparison.Ordinal);
        Assert.Contains("canceled job 'long' of batch ", stopped.Stderr.Text, StringComparison.Ordinal);
        // Back in the queue, not fetched; its canceled attempt is kept on the Hangfire job.
        Assert.Equal("1", postgres.Query(database, "select count(*) from hangfire.jobqueue where fetchedat is null"));
        Assert.Contains("\"outcome\":\"canceled\"", postgres.Query(database, "select value from hangfire.jobparameter where name = 'timebox_canceled'"), StringComparison.Ordinal);
        Assert.False(batch.HasEnded);

        var second = StartWorker(storage, database, "--slots", "1");
        var finished = await batch.WaitAsync();
        Assert.Equal(0, finished.ExitCode);
        var line = Assert.Single(_work.ReadResults());
        Assert.Equal("exited", Str(line, "outcome"));
        Assert.Equal("done\n", Str(line, "stdout"));
        second.Signal(Proc.SIGTERM);
        Assert.Equal(0, (await second.WaitAsync()).ExitCode);
    }

    /// <summary>Writes COUNT jobs job-I (TestChild printing out-I), enqueues them with --no-wait and returns the batch id it printed.</summary>
    private async Task<string> EnqueuePrintJobs(string storage, int count)
    {
        _work.WriteJobs(Enumerable.Range(0, count).Select(i => BatchWorkspace.Job(("id", $"job-{i}"), ("command", new[] { TestChild.Path, "print", $"out-{i}" }))));
        var enqueued = await Timebox("batch", _work.Jobs, "--storage", storage, "--no-wait").RunAsync();
        Assert.Equal(0, enqueued.ExitCode);
        Assert.Contains($": {count} jobs enqueued on queue 'default' (0 already queued, 0 already done on the workers)", enqueued.Stderr.Text, StringComparison.Ordinal);
        var batchId = System.Text.RegularExpressions.Regex.Match(enqueued.Stderr.Text, "--collect ([0-9a-f]{16})").Groups[1].Value;
        Assert.NotEmpty(batchId);
        return batchId;
    }

    [Fact]
    public async Task No_wait_enqueues_once_collect_gathers_later_and_a_rerun_never_runs_a_finished_job_again()
    {
        var storage = postgres.CreateDatabase("resume");
        var database = DatabaseOf(storage);
        var batchId = await EnqueuePrintJobs(storage, 20);

        var again = await Timebox("batch", _work.Jobs, "--storage", storage, "--no-wait").RunAsync();
        Assert.Equal(0, again.ExitCode);
        Assert.Contains($"batch {batchId}: 0 jobs enqueued on queue 'default' (20 already queued, 0 already done on the workers)", again.Stderr.Text, StringComparison.Ordinal);
        Assert.Equal("20", postgres.Query(database, "select count(*) from hangfire.job"));

        var worker = StartWorker(storage, database, "--slots", "4");
        var collected = await Timebox("batch", "--collect", batchId, "--storage", storage, "--results", _work.Path("collected.jsonl"), "--progress", "none").RunAsync();
        Assert.Equal(0, collected.ExitCode);
        var collectedLines = File.ReadAllLines(_work.Path("collected.jsonl"));
        Assert.Equal(20, collectedLines.Length);
        Assert.Equal(20, LoggedProcesses.Count);

        // The same command again: its own results file has nothing yet, the storage has all: gathered, none run.
        var rerun = await Timebox("batch", _work.Jobs, "--storage", storage, "--progress", "none").RunAsync();
        Assert.Equal(0, rerun.ExitCode);
        Assert.Contains("0 jobs enqueued on queue 'default' (0 already queued, 20 already done on the workers)", rerun.Stderr.Text, StringComparison.Ordinal);
        Assert.Equal(20, _work.ReadResults().Count);
        Assert.Equal(20, LoggedProcesses.Count);
        Assert.Equal(
            collectedLines.Select(text => JsonDocument.Parse(text).RootElement).Select(line => $"{Str(line, "id")} {Str(line, "stdout")}").Order(),
            _work.ReadResults().Select(line => $"{Str(line, "id")} {Str(line, "stdout")}").Order());

        // Once more: the results file records every job, so nothing is enqueued and no line is added.
        var done = await Timebox("batch", _work.Jobs, "--storage", storage, "--progress", "none").RunAsync();
        Assert.Equal(0, done.ExitCode);
        Assert.Equal(20, _work.ReadResults().Count);
        Assert.Equal("20", postgres.Query(database, "select count(*) from hangfire.job"));
        worker.Signal(Proc.SIGTERM);
        Assert.Equal(0, (await worker.WaitAsync()).ExitCode);
    }

    [Fact]
    public async Task A_job_whose_Hangfire_job_is_gone_is_named_and_the_same_command_enqueues_it_again()
    {
        var storage = postgres.CreateDatabase("lost");
        var database = DatabaseOf(storage);
        var batchId = await EnqueuePrintJobs(storage, 5);

        // job-2's Hangfire job disappears before any worker fetched it (as a dashboard's delete would do, or an expiry).
        var lost = postgres.Query(database, "select value from hangfire.hash where key like 'timebox:batch:%:enqueued' and field = 'job-2'");
        postgres.Query(database, $"delete from hangfire.jobqueue where jobid = {lost}; delete from hangfire.state where jobid = {lost}; " +
            $"delete from hangfire.jobparameter where jobid = {lost}; delete from hangfire.job where id = {lost}");

        StartWorker(storage, database, "--slots", "2");
        var collected = await Timebox("batch", "--collect", batchId, "--storage", storage, "--results", _work.Path("collected.jsonl"), "--progress", "none").RunAsync();
        Assert.Equal(1, collected.ExitCode);
        Assert.Contains($"batch: job job-2 will not run: Hangfire job {lost} is missing: gone from the storage", collected.Stderr.Text, StringComparison.Ordinal);
        Assert.Contains($"batch {batchId}: 1 jobs will not run (said above)", collected.Stderr.Text, StringComparison.Ordinal);
        Assert.Equal(4, File.ReadAllLines(_work.Path("collected.jsonl")).Length);

        var rerun = await Timebox("batch", _work.Jobs, "--storage", storage, "--progress", "none").RunAsync();
        Assert.Equal(0, rerun.ExitCode);
        Assert.Contains("1 jobs enqueued on queue 'default' (0 already queued, 4 already done on the workers)", rerun.Stderr.Text, StringComparison.Ordinal);
        Assert.Equal(["job-0", "job-1", "job-2", "job-3", "job-4"], _work.ReadResults().Select(line => Str(line, "id")).Order());
        Assert.Equal(5, LoggedProcesses.Count);
    }

    [Fact]
    public async Task The_dashboard_is_read_only_on_loopback_and_a_taken_address_is_refused()
    {
        var storage = postgres.CreateDatabase("dashboard");
        var database = DatabaseOf(storage);
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var taken = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        var refused = await Timebox("worker", "--storage", storage, "--dashboard", $"http://127.0.0.1:{taken}").RunAsync();
        Assert.Equal(125, refused.ExitCode);
        Assert.Contains("worker: cannot serve the dashboard:", refused.Stderr.Text, StringComparison.Ordinal);
        Assert.Contains("address already in use", refused.Stderr.Text, StringComparison.OrdinalIgnoreCase);
        listener.Stop();

        StartWorker(storage, database, "--dashboard", $"http://127.0.0.1:{taken}");
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        var page = await http.GetStringAsync(new Uri($"http://127.0.0.1:{taken}/"));
        Assert.Contains("Hangfire Dashboard", page, StringComparison.Ordinal);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await http.GetAsync(new Uri($"http://127.0.0.1:{taken}/servers"))).StatusCode);
        var delete = await http.PostAsync(new Uri($"http://127.0.0.1:{taken}/jobs/enqueued/delete"), new FormUrlEncodedContent([new("jobs[]", "1")]));
        Assert.False(delete.IsSuccessStatusCode, $"a read-only dashboard took a delete: {delete.StatusCode}");
    }

    [Theory]
    [InlineData("worker", "worker: missing --storage")]
    [InlineData("worker --storage S --dashboard http://0.0.0.0:8080", "is not loopback: add --dashboard-public")]
    [InlineData("worker --storage S --dashboard https://127.0.0.1:8080", "invalid dashboard address")]
    [InlineData("worker --storage S --slots 0", "invalid number of slots")]
    [InlineData("worker --storage S --queue Upper", "invalid queue name")]
    [InlineData("worker --storage S extra", "worker: extra operand")]
    [InlineData("batch JOBS --storage S -j 4", "--jobs does not apply with --storage")]
    [InlineData("batch JOBS --storage S --fail-fast", "--fail-fast does not apply with --storage")]
    [InlineData("batch JOBS --queue q", "--queue needs --storage")]
    [InlineData("batch --collect abc", "--collect needs --storage")]
    [InlineData("batch JOBS --collect abc --storage S", "--collect takes no job file")]
    [InlineData("worker --storage Host=127.0.0.1;Port=1;Username=u;Timeout=5", "worker: cannot use the storage 127.0.0.1:1/u: Failed to connect to 127.0.0.1:1: Connection refused")]
    [InlineData("batch JOBS --storage Host=127.0.0.1;Port=1;Username=u;Timeout=5", "batch: cannot use the storage 127.0.0.1:1/u: Failed to connect to 127.0.0.1:1: Connection refused")]
    [InlineData("batch --collect nosuch --storage DB", "batch: the storage holds no batch 'nosuch'")]
    public async Task Bad_options_and_storages_fail_with_125_and_say_why(string arguments, string message)
    {
        _work.WriteJobs([BatchWorkspace.Job(("command", new[] { "true" }))]);
        var args = arguments.Split(' ').Select(arg => arg switch
        {
            "JOBS" => _work.Jobs,
            "S" => "Host=127.0.0.1;Port=1;Username=u",
            "DB" => postgres.CreateDatabase("errors"),
            _ => arg,
        }).ToArray();
        var result = await Timebox(args).RunAsync();
        Assert.Equal(125, result.ExitCode);
        Assert.Contains(message, result.Stderr.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr.Text, StringComparison.Ordinal);
    }

    public new void Dispose()
    {
        foreach (var worker in _workers)
        {
            if (!worker.HasEnded) worker.Kill();
            worker.Dispose();
        }
        _work.Dispose();
        base.Dispose();
    }
}
