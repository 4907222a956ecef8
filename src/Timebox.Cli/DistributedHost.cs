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
    public static int Exec() => BatchHost.ExecSibling(RelativePath, "distributed mode");
}
