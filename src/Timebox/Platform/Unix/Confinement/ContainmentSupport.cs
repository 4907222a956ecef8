namespace Timebox.Platform.Unix;

/// <summary>Which <see cref="ContainmentMechanism"/>s Linux offers here, and where contained runs' cgroups are made; found once, on first use.</summary>
internal static class ContainmentSupport
{
    // cgroup.kill (Linux 5.14) exists in every non-root cgroup v2, with or without controllers: a hybrid host such as
    // this project's CI has it in its otherwise empty v2 hierarchy.
    private static readonly RetryingLazy<CgroupParent?> KillParent = new(() => CgroupParent.Find(null, "", "cgroup.kill"));

    // Any hierarchy tracks membership: the v1 pids or freezer hierarchy, else cgroup v2 (a kernel before cgroup.kill).
    private static readonly RetryingLazy<CgroupParent?> SweepParent = new(() =>
        CgroupParent.Find("pids", "cgroup.procs", null) ?? CgroupParent.Find("freezer", "cgroup.procs", null) ?? CgroupParent.Find(null, "", "cgroup.procs"));

    private static readonly RetryingLazy<ContainmentMechanism> LazyBest = new(() =>
        new[] { ContainmentMechanism.CgroupKill, ContainmentMechanism.CgroupSweep, ContainmentMechanism.Subreaper }
            .FirstOrDefault(IsAvailable, ContainmentMechanism.ProcessTree));

    /// <summary>Linux's <see cref="HostCapabilities.BestContainment"/>.</summary>
    public static ContainmentMechanism Best => LazyBest.Value;

    /// <summary>Linux's <see cref="HostCapabilities.IsContainmentAvailable"/>.</summary>
    public static bool IsAvailable(ContainmentMechanism mechanism) => mechanism switch
    {
        ContainmentMechanism.ProcessTree => true,
        ContainmentMechanism.CgroupKill => SpawnShim.Available && KillParent.Value is not null,
        ContainmentMechanism.CgroupSweep => SpawnShim.Available && SweepParent.Value is not null,
        ContainmentMechanism.Subreaper => true,
        _ => false,
    };

    /// <summary>Where a run contained by a cgroup mechanism gets its cgroup; null when it cannot.</summary>
    public static CgroupParent? ParentFor(ContainmentMechanism mechanism) => mechanism switch
    {
        ContainmentMechanism.CgroupKill => KillParent.Value,
        ContainmentMechanism.CgroupSweep => SweepParent.Value,
        _ => null,
    };
}
