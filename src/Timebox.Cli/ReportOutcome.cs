namespace Timebox.Cli;

/// <summary>
/// The one table between the library's <see cref="Outcome"/> and the outcome names of <see cref="RunReport.Outcome"/>,
/// used to write a report or a batch result line and to read one back (batch resume), so that every outcome comes back
/// as it went out. Each outcome also has a family, the coarser name that the batch's tallies, colours and --retry-on
/// use: a resource limit's kill counts as signaled there (its process died of a signal), an output-limit stop as canceled.
/// </summary>
internal static class ReportOutcome
{
    public const string Exited = "exited";
    public const string Signaled = "signaled";
    public const string TimedOut = "timed_out";
    public const string IdleTimedOut = "idle_timed_out";
    public const string Canceled = "canceled";
    public const string StartFailed = "start_failed";

    private static readonly (Outcome Outcome, string Name, string Family)[] Table =
    [
        (Outcome.Exited, Exited, Exited),
        (Outcome.Signaled, Signaled, Signaled),
        (Outcome.TimedOut, TimedOut, TimedOut),
        (Outcome.Canceled, Canceled, Canceled),
        (Outcome.IdleTimedOut, IdleTimedOut, IdleTimedOut),
        (Outcome.OutputLimitExceeded, "output_limit_exceeded", Canceled),
        (Outcome.CpuLimitExceeded, "cpu_limit_exceeded", Signaled),
        (Outcome.FileSizeLimitExceeded, "file_size_limit_exceeded", Signaled),
        (Outcome.MemoryLimitExceeded, "memory_limit_exceeded", Signaled),
    ];

    public static string NameOf(Outcome outcome) => Row(outcome).Name;

    /// <summary>The family of <paramref name="outcome"/>: one of the names above other than <see cref="StartFailed"/>.</summary>
    public static string FamilyOf(Outcome outcome) => Row(outcome).Family;

    /// <summary>The outcome a report names; false for <see cref="StartFailed"/> (no outcome: the command did not run) and for a name no row has.</summary>
    public static bool TryParse(string name, out Outcome outcome)
    {
        foreach (var row in Table)
        {
            if (row.Name != name) continue;
            outcome = row.Outcome;
            return true;
        }
        outcome = default;
        return false;
    }

    /// <summary>Every outcome of the family <paramref name="family"/>.</summary>
    public static IEnumerable<Outcome> InFamily(string family) => Table.Where(row => row.Family == family).Select(row => row.Outcome);

    private static (Outcome Outcome, string Name, string Family) Row(Outcome outcome) =>
        Array.Find(Table, row => row.Outcome == outcome) is { Name: not null } row ? row : throw new ArgumentOutOfRangeException(nameof(outcome), outcome, null);
}
