using System.Runtime.Versioning;
using Timebox.Cli;

[assembly: SupportedOSPlatform("linux")]
[assembly: SupportedOSPlatform("macos")]

namespace Timebox.Distributed;

/// <summary>timebox-distributed: `worker`, and `batch` with --storage or --collect; timebox execs it with its own arguments.</summary>
internal static class Program
{
    public static int Main(string[] args)
    {
        var inherited = InheritedSignals.Read();
        return args.FirstOrDefault() switch
        {
            "worker" => WorkerCommand.Run(args[1..], inherited),
            "batch" => BatchCommand.Run(args[1..], inherited, settings => WithStorage(settings.Storage!, PostgresStorage.DefaultRequeueAfter,
                PostgresStorage.DefaultPollInterval, "batch", storage => Timebox.Hangfire.DistributedBatch.Run(settings, inherited, storage))),
            _ => Usage(),
        };
    }

    /// <summary>Opens the storage and runs <paramref name="use"/> with it; 125 when it cannot be reached (said in Npgsql's and PostgreSQL's words).</summary>
    public static int WithStorage(string connectionString, TimeSpan requeueAfter, TimeSpan pollInterval, string mode, Func<global::Hangfire.JobStorage, int> use)
    {
        global::Hangfire.JobStorage storage;
        try
        {
            storage = PostgresStorage.Open(connectionString, requeueAfter, pollInterval);
        }
        catch (Exception exception) when (PostgresStorage.IsStorageError(exception))
        {
            Messages.Error($"{mode}: cannot use the storage {PostgresStorage.Describe(connectionString)}: {PostgresStorage.Words(exception)}");
            return Cli.Cli.FailedStatus;
        }
        try
        {
            return use(storage);
        }
        catch (Exception exception) when (PostgresStorage.IsStorageError(exception))
        {
            Messages.Error($"{mode}: the storage {PostgresStorage.Describe(connectionString)} failed: {PostgresStorage.Words(exception)}");
            return Cli.Cli.FailedStatus;
        }
    }

    private static int Usage()
    {
        Messages.Error("timebox-distributed runs `timebox worker` and `timebox batch --storage`: run those through timebox");
        return Cli.Cli.FailedStatus;
    }
}
