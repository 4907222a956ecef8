using System.Globalization;

namespace Timebox.Platform.Unix;

/// <summary>
/// Which mechanism enforces <see cref="ResourceLimits.MaxProcesses"/> on Linux here, and whether the kernel applies
/// rlimits that only privileged processes may raise to the program.
/// </summary>
internal static class ProcessLimits
{
    private const int CapSysAdmin = 21, CapSysResource = 24;
    private static readonly RetryingLazy<CgroupParent?> CgroupBase = new(() => CgroupParent.Find("pids", "pids.max", "pids.max"));
    private static readonly RetryingLazy<ProcessLimitMechanism> LazyMechanism = new(Probe);

    /// <summary>Linux's <see cref="HostCapabilities.ProcessLimitMechanism"/>; found once, on first use.</summary>
    public static ProcessLimitMechanism Mechanism => LazyMechanism.Value;

    /// <summary>The host's pids cgroup, where runs with a process limit get a cgroup of their own; null for none.</summary>
    public static CgroupParent? PidsCgroupBase => CgroupBase.Value;

    /// <summary>
    /// True when the program will be exempt from RLIMIT_NPROC and may raise hard limits: it runs as root (real uid 0),
    /// or keeps CAP_SYS_RESOURCE or CAP_SYS_ADMIN across exec (ambient capabilities).
    /// </summary>
    /// <exception cref="IOException">/proc/self/status cannot be read now (no descriptor left): the next use tries again.</exception>
    public static bool ProgramIsPrivileged => Privilege.Value;

    private static readonly RetryingLazy<bool> Privilege = new(ReadPrivilege);

    private static ProcessLimitMechanism Probe()
    {
        if (!SpawnShim.Available) return ProcessLimitMechanism.None;
        if (PidsCgroupBase is not null) return ProcessLimitMechanism.PidsCgroup;
        return ProgramIsPrivileged ? ProcessLimitMechanism.None : ProcessLimitMechanism.UserRlimit;
    }

    private static bool ReadPrivilege()
    {
        if (!OperatingSystem.IsLinux()) return false;
        var realUid = -1L;
        ulong ambient = 0;
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("Uid:", StringComparison.Ordinal))
                realUid = long.Parse(line.AsSpan(4).Trim().ToString().Split('\t')[0], CultureInfo.InvariantCulture);
            else if (line.StartsWith("CapAmb:", StringComparison.Ordinal))
                ambient = ulong.Parse(line.AsSpan(7).Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        }
        return realUid == 0 || (ambient & ((1UL << CapSysAdmin) | (1UL << CapSysResource))) != 0;
    }
}
