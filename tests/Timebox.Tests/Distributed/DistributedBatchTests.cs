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
