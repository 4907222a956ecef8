using Xunit.Abstractions;
using System.Diagnostics;
using Timebox.Tests.Support;

namespace Timebox.Tests.Distributed;

/// <summary>The throwaway PostgreSQL server the distributed tests run against (<see cref="PostgresServer"/>).</summary>
[Trait("Category", "Distributed")]
public sealed class PostgresServerTests(ITestOutputHelper output)
{
    [Fact]
    public void A_new_database_keeps_what_is_written_to_it_and_the_stopped_server_leaves_no_process()
    {
        var clock = Stopwatch.StartNew();
        List<int> processes;
        var server = new PostgresServer();
        var started = clock.Elapsed;
        try
        {
            var connectionString = server.CreateDatabase("fixture");
            var database = connectionString[(connectionString.LastIndexOf(";Database=", StringComparison.Ordinal) + ";Database=".Length)..];
            Assert.StartsWith("fixture_", database, StringComparison.Ordinal);
            server.Query(database, "CREATE TABLE runs (id int PRIMARY KEY, outcome text NOT NULL)");
            server.Query(database, "INSERT INTO runs VALUES (1, 'exited'), (2, 'timed_out')");
            Assert.Equal("2|timed_out", server.Query(database, "SELECT id, outcome FROM runs WHERE id = 2"));
            Assert.Equal("1", server.Query("postgres", $"SELECT count(*) FROM pg_database WHERE datname = '{database}'"));

            // The postmaster and its helpers (checkpointer, WAL writer, ...), while the server runs.
            processes = [server.ServerPid, .. Proc.ChildrenOf(server.ServerPid)];
            Assert.True(processes.Count >= 3, $"only {processes.Count} server processes: {string.Join(", ", processes.Select(Proc.CommandLine))}");
        }
        finally
        {
            clock.Restart();
            server.Dispose();
        }
        output.WriteLine($"started in {started.TotalMilliseconds:0} ms, stopped in {clock.Elapsed.TotalMilliseconds:0} ms");

        Assert.Empty(processes.Where(Proc.IsAlive).Select(Proc.CommandLine));
        Assert.False(Directory.Exists(server.Directory));
    }
}
