using System.Diagnostics;
using System.Text.RegularExpressions;
using Timebox.Tests.Support;
using Xunit.Abstractions;

namespace Timebox.Tests.Samples;

/// <summary>
/// samples/Timebox.Samples.HangfireService, run end to end against a fresh database of a real PostgreSQL started by the
/// fixture. Its jobs (shells, sleeps) inherit its working directory, the scratch directory, so
/// <see cref="Proc.KillSurvivorsIn"/> finds whatever of them would outlive it.
/// </summary>
[Trait("Category", "Distributed")]
public sealed partial class HangfireServiceSampleTests(PostgresServer postgres, ITestOutputHelper output) : IClassFixture<PostgresServer>, IDisposable
{
    private readonly ScratchDirectory _directory = new();

    private Command Sample(params string[] arguments) =>
        new Command(RepositoryFiles.BuiltProgram("samples/Timebox.Samples.HangfireService"), arguments)
            .WithWorkingDirectory(_directory.Path).WithEnvironment("TIMEBOX_SAMPLE_STORAGE", null).WithTimeout(TimeSpan.FromMinutes(3));

    [Fact]
    public async Task Runs_its_batch_on_its_own_Hangfire_server_prints_each_outcome_and_leaves_no_process_and_no_unfinished_job()
    {
        var storage = postgres.CreateDatabase("sample");
        var database = storage[(storage.LastIndexOf("Database=", StringComparison.Ordinal) + "Database=".Length)..];

        var clock = Stopwatch.StartNew();
        using var result = await Sample(storage).RunAsync();
        clock.Stop();
        output.WriteLine($"the sample ran in {clock.Elapsed.TotalMilliseconds:0} ms:\n{result.Stdout.Text}{result.Stderr.Text}");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("", result.Stderr.Text);
        var lines = result.Stdout.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(5, lines.Length);
        var batchId = EnqueuedLine().Match(lines[0]) is { Success: true } enqueued ? enqueued.Groups["id"].Value : throw new Xunit.Sdk.XunitException($"not the enqueue line: {lines[0]}");
        Assert.Matches("^greets +exited +exit status 0 +hello from a worker$", lines[1]);
        Assert.Matches("^fails +exited +exit status 3 +no such input$", lines[2]);
        Assert.Matches("^hangs +timed_out +exit status 124$", lines[3]);
        Assert.Matches("^stalls +idle_timed_out +exit status 124 +starting$", lines[4]);
        // The deadlines held: the sleeps were stopped after 1 s, not left to their 60 s.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(45), $"the sample took {clock.Elapsed}");

        // Nothing it started is alive: not the background sleep of the job that timed out, nor any other run.
        Assert.Empty(Proc.KillSurvivorsIn(_directory.Path));
        // PostgreSQL holds finished state only: no queued or fetched job, no job in another state, no lock, no server.
        Assert.Equal("0", postgres.Query(database, "select count(*) from hangfire.jobqueue"));
        Assert.Equal("4", postgres.Query(database, "select count(*) from hangfire.job"));
        Assert.Equal("", postgres.Query(database, "select string_agg(distinct statename, ',') from hangfire.job where statename <> 'Succeeded'"));
        Assert.Equal("0", postgres.Query(database, "select count(*) from hangfire.lock"));
        Assert.Equal("0", postgres.Query(database, "select count(*) from hangfire.server"));
        Assert.Equal("fails,greets,hangs,stalls",
            postgres.Query(database, $"select string_agg(field, ',' order by field) from hangfire.hash where key = 'timebox:batch:{batchId}:results'"));
    }

    [Fact]
    public async Task Says_in_the_servers_words_when_the_storage_cannot_be_reached()
    {
        using var result = await Sample("Host=127.0.0.1;Port=1;Username=postgres;Database=none;Timeout=5").RunAsync();

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("hangfire-service: the storage failed: ", result.Stderr.Text, StringComparison.Ordinal);
        Assert.Contains("Connection refused", result.Stderr.Text, StringComparison.Ordinal);
        Assert.Equal("", result.Stdout.Text);
    }

    [Fact]
    public async Task Asks_for_a_connection_string_when_it_has_none()
    {
        using var result = await Sample().RunAsync();

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("usage: Timebox.Samples.HangfireService CONNECTION_STRING", result.Stderr.Text, StringComparison.Ordinal);
    }

    [GeneratedRegex("^batch (?<id>sample-[0-9a-f]{32}): 4 jobs enqueued$")]
    private static partial Regex EnqueuedLine();

    public void Dispose() => _directory.Dispose();
}
