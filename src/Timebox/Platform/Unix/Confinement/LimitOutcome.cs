namespace Timebox.Platform.Unix;

/// <summary>Tells, from how the main process ended, whether one of its resource limits ended it.</summary>
internal static class LimitOutcome
{
    private const int CpuLimitSignal = 24, FileSizeLimitSignal = 25; // SIGXCPU, SIGXFSZ

    // The kernel checks CPU limits at its tick against its own running total; the rusage it reports afterwards can
    // come out a few milliseconds under the limit.
    private static readonly TimeSpan Tolerance = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// The limit outcome, or null. An OOM kill in the run's memory cgroup (<paramref name="oomKilled"/>) comes first: it is
    /// the kernel's own record, whatever process it hit. SIGXCPU and SIGXFSZ mean the kernel enforced a
    /// limit; SIGKILL does too when a CPU limit was set and the CPU time reached its hard limit (one second above the soft
    /// one), since Timebox sent none (a run it terminated has its own outcome).
    /// </summary>
    public static Outcome? Of(ResourceLimits? limits, int? signal, ResourceUsage? usage, bool oomKilled) => signal switch
    {
        _ when oomKilled => Outcome.MemoryLimitExceeded,
        CpuLimitSignal => Outcome.CpuLimitExceeded,
        FileSizeLimitSignal => Outcome.FileSizeLimitExceeded,
        Signals.Kill when limits?.MaxCpuTime is { } max && usage is { } used && used.TotalCpuTime >= max + RunConfinement.CpuHardLimitMargin - Tolerance =>
            Outcome.CpuLimitExceeded,
        _ => null,
    };
}
