namespace Timebox;

/// <summary>How <see cref="ResourceLimits.MaxMemoryBytes"/> is enforced on this host (see <see cref="ResourceLimits.MemoryLimitMechanism"/>).</summary>
public enum MemoryLimitMechanism
{
    /// <summary>
    /// No memory cgroup can be made here (none writable, no memory controller delegated, not Linux, or no native spawn
    /// shim): a command with <see cref="ResourceLimits.MaxMemoryBytes"/> does not start (<see cref="UnsupportedOptionException"/>).
    /// <see cref="ResourceLimits.MaxAddressSpaceBytes"/> (RLIMIT_AS) still works.
    /// </summary>
    None,

    /// <summary>
    /// A memory cgroup made for the run under the host's own (cgroup v1 memory hierarchy: memory.limit_in_bytes, and
    /// memory.memsw.limit_in_bytes where swap is accounted; cgroup v2 with the memory controller delegated: memory.max and
    /// memory.swap.max 0), joined by the child before exec. The kernel OOM-kills a process of the run when it cannot keep
    /// the run under the limit, and counts it (memory.oom_control or memory.events, oom_kill), which gives <see cref="Outcome.MemoryLimitExceeded"/>.
    /// </summary>
    MemoryCgroup,
}
