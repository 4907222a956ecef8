using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Timebox.Platform.Unix;

/// <summary>
/// How the child starts, beyond its program and descriptors; laid out as struct spawn_options in
/// Native/timebox_spawn.c. Signal n is bit n-1 of the masks.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly struct SpawnOptions
{
    /// <summary>The library's runs: a new process group, every signal default and unblocked, no parent-death signal.</summary>
    public static readonly SpawnOptions Default = new(newProcessGroup: true, parentDeathSignal: 0, keepIgnored: 0, signalMask: 0);

    public SpawnOptions(bool newProcessGroup, int parentDeathSignal, ulong keepIgnored, ulong signalMask)
    {
        NewProcessGroup = newProcessGroup ? 1 : 0;
        ParentDeathSignal = parentDeathSignal;
        KeepIgnored = keepIgnored;
        SignalMask = signalMask;
        CgroupProcsFds = CgroupFds.None;
        GuardianFd = -1;
    }

    public int NewProcessGroup { get; }

    /// <summary>Sent to the child when the thread that spawned it ends (Linux PR_SET_PDEATHSIG); 0 for none. Needs the native shim.</summary>
    public int ParentDeathSignal { get; init; }

    public ulong KeepIgnored { get; }

    public ulong SignalMask { get; }

    /// <summary>Bit r set: resource r (RLIMIT_*) is set to <see cref="Rlimits"/>[2r] (soft), [2r+1] (hard) before exec. Needs the native shim.</summary>
    public uint RlimitMask { get; init; }

    /// <summary>The cgroup.procs files of the cgroups the child joins before exec, one per hierarchy, -1 for none. Needs the native shim.</summary>
    public CgroupFds CgroupProcsFds { get; init; }

    /// <summary>-1, or the write end of the parent-exit guardian's pipe, where the child registers before exec. Needs the native shim.</summary>
    public int GuardianFd { get; init; }

    public RlimitTable Rlimits { get; init; }
}

/// <summary>Up to <see cref="Count"/> descriptors (struct spawn_options' cgroup_procs_fds), unused ones -1.</summary>
[InlineArray(Count)]
internal struct CgroupFds
{
    /// <summary>How many cgroups a child can join: one per hierarchy a run uses (v2; v1 pids; v1 memory).</summary>
    public const int Count = 3;

    private int _first;

    public static CgroupFds None
    {
        get
        {
            var fds = default(CgroupFds);
            ((Span<int>)fds).Fill(-1);
            return fds;
        }
    }
}

/// <summary>Soft and hard values of the first 16 Linux resources (RLIMIT_CPU = 0 … RLIMIT_RTTIME = 15), soft first.</summary>
[InlineArray(32)]
internal struct RlimitTable
{
    private ulong _first;
}
