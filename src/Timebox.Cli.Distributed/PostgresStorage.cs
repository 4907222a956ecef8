using System.Net.Sockets;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;
using Npgsql;

namespace Timebox.Distributed;

/// <summary>
/// The Hangfire storage of the distributed mode: PostgreSQL, Hangfire's own schema ("hangfire"), so a service of one's
/// own (Timebox.Hangfire) and Hangfire's dashboard see the same jobs. Opening it installs or upgrades the schema.
/// </summary>
internal static class PostgresStorage
{
    /// <summary>How long a fetched job may go without its worker's keep-alive before another worker fetches it again.</summary>
    public static readonly TimeSpan DefaultRequeueAfter = TimeSpan.FromSeconds(30);

    /// <summary>How often an idle worker looks for a job (a busy one fetches the next as soon as it is free).</summary>
    public static readonly TimeSpan DefaultPollInterval = TimeSpan.FromMilliseconds(200);

    /// <exception cref="ArgumentException">The connection string is malformed.</exception>
    /// <exception cref="NpgsqlException">The server cannot be reached, or refuses.</exception>
    public static PostgreSqlStorage Open(string connectionString, TimeSpan requeueAfter, TimeSpan pollInterval)
    {
        var options = new PostgreSqlStorageOptions
        {
            PrepareSchemaIfNecessary = true,
            QueuePollInterval = pollInterval,
            // A running job's row is touched every requeueAfter/5 (the keep-alive), so a live worker never loses its
            // jobs, and a dead worker's come back after requeueAfter.
            InvisibilityTimeout = requeueAfter,
            UseSlidingInvisibilityTimeout = true,
            // A worker killed while holding one of Hangfire's locks holds it no longer than this.
            DistributedLockTimeout = TimeSpan.FromSeconds(30),
            // Fail at once, in the server's words, rather than retry for minutes or start without a storage.
            StartupConnectionMaxRetries = 0,
            AllowDegradedModeWithoutStorage = false,
        };
        // Hangfire.PostgreSql keeps no session state between uses of a pooled connection: the DISCARD ALL that Npgsql sends
        // when one goes back to the pool (8.5 per job on a worker, bench/NOTES.md) buys nothing. A user's own setting wins.
        var parts = new NpgsqlConnectionStringBuilder(connectionString);
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        if (!given.Keys.Cast<string>().Any(key => key.Replace(" ", "", StringComparison.Ordinal).Equals("NoResetOnClose", StringComparison.OrdinalIgnoreCase)))
            parts.NoResetOnClose = true;
        var normalized = parts.ConnectionString;
        // Hangfire.PostgreSql installs its schema without a lock: a worker and a client (or two workers) opening a new
        // database at once failed with "XX000: could not find tuple for constraint". One installs at a time.
        using var connection = new NpgsqlConnection(normalized);
        connection.Open();
        Execute(connection, $"SELECT pg_advisory_lock({InstallLock})");
        try
        {
            return new PostgreSqlStorage(new NpgsqlConnectionFactory(normalized, options), options);
        }
        finally
        {
            // Explicitly: a pooled connection's session, and its lock, outlive Dispose.
            Execute(connection, $"SELECT pg_advisory_unlock({InstallLock})");
        }
    }

    /// <summary>The advisory lock key that serializes schema installation (any constant no one else uses).</summary>
    private const long InstallLock = 0x74696d65626f78;

    private static void Execute(NpgsqlConnection connection, string sql)
    {
        using var command = new NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }

    public static bool IsStorageError(Exception exception) =>
        exception is NpgsqlException or ArgumentException or TimeoutException or SocketException or InvalidOperationException
        || exception.InnerException is { } inner && IsStorageError(inner);

    /// <summary>The error and its causes, each once: Npgsql's "Failed to connect to 127.0.0.1:1" and the system's "Connection refused".</summary>
    public static string Words(Exception exception)
    {
        var words = new List<string>();
        for (var cause = exception; cause is not null; cause = cause.InnerException)
        {
            var message = cause.Message.TrimEnd('.');
            if (!words.Any(said => said.Contains(message, StringComparison.Ordinal))) words.Add(message);
        }
        return string.Join(": ", words);
    }

    /// <summary>Where the storage is, without its password: "host:port/database".</summary>
    public static string Describe(string connectionString)
    {
        try
        {
            var parts = new NpgsqlConnectionStringBuilder(connectionString);
            return $"{parts.Host}:{parts.Port}/{parts.Database ?? parts.Username}";
        }
        catch (ArgumentException)
        {
            return "(a malformed connection string)";
        }
    }
}
