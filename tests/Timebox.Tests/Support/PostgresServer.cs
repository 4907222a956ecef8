using System.Globalization;
using System.Text.RegularExpressions;

namespace Timebox.Tests.Support;

/// <summary>
/// A throwaway PostgreSQL server on 127.0.0.1 in a temporary directory of its own, started by build/postgres.sh (which
/// installs Debian's postgresql when it is missing), for the distributed tests: usable as a class or collection fixture.
/// Queries go through the psql client. Disposing stops the server, proves that none of its processes is left and deletes
/// the directory.
/// </summary>
public sealed partial class PostgresServer : IDisposable
{
    // Generous: the first start on a fresh machine installs the package.
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan QueryTimeout = TimeSpan.FromSeconds(60);

    public PostgresServer()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("timebox-postgres-").FullName;
        try
        {
            var started = RunScript("start").Trim();
            var match = StartedLine().Match(started);
            if (!match.Success) throw new InvalidDataException($"build/postgres.sh start printed '{started}', not a connection string.");
            Port = int.Parse(match.Groups["port"].Value, NumberStyles.None, CultureInfo.InvariantCulture);
        }
        catch
        {
            System.IO.Directory.Delete(Directory, recursive: true);
            throw;
        }
    }

    /// <summary>The cluster's directory (its data directory, which also holds its socket and server.log).</summary>
    public string Directory { get; }

    /// <summary>The TCP port the server listens on, on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>The Npgsql connection string of the server's postgres database, as the superuser postgres.</summary>
    public string ConnectionString => ConnectionStringOf("postgres");

    /// <summary>The postmaster's pid, from its pid file: every other process of the server is its child.</summary>
    public int ServerPid => int.Parse(File.ReadLines(PidFile).First(), NumberStyles.None, CultureInfo.InvariantCulture);

    /// <summary>Makes a database named <paramref name="prefix"/>_UNIQUE and returns its connection string.</summary>
    public string CreateDatabase(string prefix)
    {
        if (!DatabasePrefix().IsMatch(prefix)) throw new ArgumentException("A prefix is a lowercase letter, then up to 29 lowercase letters, digits or '_'.", nameof(prefix));
        var name = string.Create(CultureInfo.InvariantCulture, $"{prefix}_{Guid.NewGuid():N}");
        Query("postgres", $"CREATE DATABASE {name}");
        return ConnectionStringOf(name);
    }

    /// <summary>Runs <paramref name="sql"/> in <paramref name="database"/> (psql -tAc: unaligned rows, '|' between columns) and returns its trimmed output; throws with psql's errors when it fails.</summary>
    public string Query(string database, string sql) =>
        new Command("psql", ["-X", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture), "-U", "postgres", "-d", database, "-tAc", sql])
            .WithEnvironment("PGCONNECT_TIMEOUT", "10")
            .WithTimeout(QueryTimeout)
            .CheckOutput()
            .Trim();

    public void Dispose()
    {
        string? stopFailure = null;
        try
        {
            RunScript("stop");
        }
        catch (CommandFailedException e)
        {
            stopFailure = e.Message;
        }
        var pidFileLeft = File.Exists(PidFile);
        // Every process of the server runs in its data directory: whatever is left is killed before the directory goes.
        var survivors = Proc.KillSurvivorsIn(Directory);
        System.IO.Directory.Delete(Directory, recursive: true);

        Assert.Null(stopFailure);
        Assert.False(pidFileLeft, $"{PidFile} was still there after the server stopped");
        Assert.Empty(survivors);
    }

    private string PidFile => Path.Combine(Directory, "postmaster.pid");

    private string ConnectionStringOf(string database) =>
        string.Create(CultureInfo.InvariantCulture, $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database}");

    private string RunScript(string verb) =>
        new Command("bash", [RepositoryFiles.PathOf("build/postgres.sh"), verb, Directory]).WithTimeout(ScriptTimeout).CheckOutput();

    [GeneratedRegex(@"^Host=127\.0\.0\.1;Port=(?<port>[0-9]+);Username=postgres;Database=postgres$")]
    private static partial Regex StartedLine();

    [GeneratedRegex("^[a-z][a-z0-9_]{0,29}$")]
    private static partial Regex DatabasePrefix();
}
