namespace Timebox.Cli;

/// <summary>
/// Where the distributed mode runs: `timebox worker` and `timebox batch --storage` (or --collect) exec
/// distributed/timebox-distributed from this binary's directory, with the same arguments. That binary is a
/// framework-dependent .NET program, not NativeAOT like this one: Hangfire and its PostgreSQL storage rely on
/// reflection (job activation, Json.NET), and keeping them out leaves timebox's image, and so its start-up, as small as before.
/// </summary>
internal static class DistributedHost
{
    public const string RelativePath = "distributed/timebox-distributed";

    /// <summary>Replaces this process with timebox-distributed; returns 125 only when that fails.</summary>
    public static int Exec()
    {
        if (File.Exists(Path.Combine(Path.GetDirectoryName(Environment.ProcessPath) ?? ".", RelativePath)))
            return BatchHost.ExecSibling(RelativePath, "distributed mode");
        // A build that is not a publish (dotnet run, the framework-dependent .NET tool) has no distributed/ beside it;
        // named from the assembly's directory, as the process there is dotnet itself.
        Messages.Error($"distributed mode: {Quoting.Quote(Path.Combine(AppContext.BaseDirectory, RelativePath))} is missing: it comes with a published timebox " +
            "(dotnet publish src/Timebox.Cli -c Release -o DIR puts it in DIR/distributed) and with the linux-x64 and linux-arm64 tool packages");
        return Cli.FailedStatus;
    }
}
