using Timebox.Platform;
using Timebox.Platform.Unix;
using Timebox.Platform.Windows;

namespace Timebox;

/// <summary>
/// What this host can do to contain a run and to enforce its <see cref="ResourceLimits"/>, each answer found once, on first
/// use. Containment decides what a timeout or a cancellation reaches: every process the run started, wherever it went, or
/// (<see cref="ContainmentMechanism.ProcessTree"/>) its process group and the descendants still linked to it. A command that
/// asks for what the host lacks does not start (<see cref="UnsupportedOptionException"/>): it never runs without it.
/// </summary>
public static class HostCapabilities
{
    // Linux, Windows, and macOS: any other system starts no run (the launcher refuses it), so it gets macOS's "none" answers.
    private static readonly IHostCapabilities Host =
        OperatingSystem.IsLinux() ? new LinuxCapabilities() : OperatingSystem.IsWindows() ? new WindowsCapabilities() : new DarwinCapabilities();

    /// <summary>
    /// The strongest containment this host offers (what <see cref="Command.WithContainment(bool)"/> picks): Linux
    /// <see cref="ContainmentMechanism.CgroupKill"/>, else <see cref="ContainmentMechanism.CgroupSweep"/>, else
    /// <see cref="ContainmentMechanism.Subreaper"/>; Windows <see cref="ContainmentMechanism.JobObject"/>; macOS
    /// <see cref="ContainmentMechanism.ProcessTree"/>, which is no containment.
    /// </summary>
    /// <exception cref="IOException">The host is out of descriptors and could not look: nothing is remembered, the next use looks again.</exception>
    public static ContainmentMechanism BestContainment => Host.BestContainment;

    /// <summary>
    /// True when a run can be contained by <paramref name="mechanism"/> here (<see cref="Command.WithContainment(ContainmentMechanism)"/>
    /// with any other makes the start fail). <see cref="ContainmentMechanism.ProcessTree"/>, which is no containment, is
    /// available everywhere; the cgroup mechanisms need a writable cgroup and the native spawn shim.
    /// </summary>
    /// <exception cref="IOException">The host is out of descriptors and could not look: nothing is remembered, the next use looks again.</exception>
    public static bool IsContainmentAvailable(ContainmentMechanism mechanism) => Host.IsContainmentAvailable(mechanism);

    /// <summary>
    /// How <see cref="ResourceLimits.MaxMemoryBytes"/> is enforced on this host: a memory cgroup per run where one can be
    /// made (Linux, with the native spawn shim), otherwise <see cref="MemoryLimitMechanism.None"/> and a command with the
    /// limit does not start.
    /// </summary>
    /// <exception cref="IOException">The host is out of descriptors and could not look: nothing is remembered, the next use looks again.</exception>
    public static MemoryLimitMechanism MemoryLimitMechanism => Host.MemoryLimitMechanism;

    /// <summary>
    /// How <see cref="ResourceLimits.MaxProcesses"/> is enforced on this host: on Linux (with the native spawn shim) a pids
    /// cgroup per run where one can be created (cgroup v1 pids hierarchy, or v2 where the host's cgroup delegates the pids
    /// controller), otherwise RLIMIT_NPROC, unless the host runs as root or with CAP_SYS_RESOURCE or CAP_SYS_ADMIN, which
    /// the kernel exempts from RLIMIT_NPROC: then <see cref="ProcessLimitMechanism.None"/>, and a command with
    /// <see cref="ResourceLimits.MaxProcesses"/> does not start (<see cref="UnsupportedOptionException"/>). Windows: the
    /// run's Job Object. macOS: none.
    /// </summary>
    /// <exception cref="IOException">The host is out of descriptors and could not look: nothing is remembered, the next use looks again.</exception>
    public static ProcessLimitMechanism ProcessLimitMechanism => Host.ProcessLimitMechanism;
}
