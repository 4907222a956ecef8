namespace Timebox.Platform.Unix;

/// <summary>How Linux enforces <see cref="ResourceLimits.MaxMemoryBytes"/> here, and where the runs' memory cgroups are made.</summary>
internal static class MemoryLimits
{
    // memory.oom_control (v1) and memory.events (v2) are where the kernel counts its OOM kills: a cgroup without them
    // could limit memory but not tell that the limit ended a process.
    private static readonly RetryingLazy<CgroupParent?> Parent = new(() => CgroupParent.Find("memory", "memory.oom_control", "memory.events"));
    private static readonly RetryingLazy<MemoryLimitMechanism> LazyMechanism = new(() =>
        SpawnShim.Available && Parent.Value is not null ? MemoryLimitMechanism.MemoryCgroup : MemoryLimitMechanism.None);

    /// <summary>Linux's <see cref="HostCapabilities.MemoryLimitMechanism"/>; found once, on first use.</summary>
    public static MemoryLimitMechanism Mechanism => LazyMechanism.Value;

    /// <summary>The host's memory cgroup, where runs with a memory limit get a cgroup of their own; null for none.</summary>
    public static CgroupParent? CgroupParent => Parent.Value;

    /// <summary>
    /// What the run's cgroup is set to: the limit on memory in use and, where the kernel accounts swap, the same limit
    /// on memory plus swap, so that the run cannot go on in swap past its limit. Optional files are skipped when absent.
    /// </summary>
    public static IEnumerable<(string File, string Value, bool Optional)> Settings(CgroupParent parent, long bytes)
    {
        var value = bytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return parent.IsV2
            ? [("memory.max", value, false), ("memory.swap.max", "0", true)]
            : [("memory.limit_in_bytes", value, false), ("memory.memsw.limit_in_bytes", value, true)];
    }

    /// <summary>
    /// True when the kernel's OOM killer ended a process of <paramref name="cgroup"/>: oom_kill in memory.oom_control (v1)
    /// or memory.events (v2). The kernel counts a system-wide OOM kill of one of the run's processes there too; the limit
    /// is not told apart from it (its own counters are not reliable: v1's memory.failcnt stays 0 when a memory+swap limit
    /// is set), and either way the run ran out of memory.
    /// </summary>
    public static bool OomKilled(RunCgroup cgroup) =>
        cgroup.ReadCount(cgroup.Parent.IsV2 ? "memory.events" : "memory.oom_control", "oom_kill") > 0;
}
