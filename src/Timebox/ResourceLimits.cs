
namespace Timebox;

/// <summary>
/// Operating-system limits on one run, in force before the program runs its first instruction and inherited by
/// every process it starts (each process gets its own copy of each limit, except <see cref="MaxProcesses"/> under
/// <see cref="ProcessLimitMechanism.PidsCgroup"/>, which the whole run shares). Immutable: set the values with an
/// object initializer and pass it to <see cref="Command.WithLimits"/>. A null value (the default) leaves that limit
/// as the host has it.
/// </summary>
/// <remarks>
/// Linux: set in the child between fork and exec by the native spawn shim (Native/timebox_spawn.c). Without
/// the shim (no C compiler at build time), and on macOS, a command with limits does not start:
/// <see cref="Command.Start"/> throws <see cref="UnsupportedOptionException"/> rather than run unlimited.
/// Windows (never run, see the README): limits of the run's Job Object, set before the program is resumed:
/// <see cref="MaxCpuTime"/> is a per-process user-mode time limit, <see cref="MaxAddressSpaceBytes"/> a per-process
/// committed memory limit, <see cref="MaxProcesses"/> the job's active process limit, <see cref="DisableCoreDumps"/>
/// suppresses the crash dialog (JOB_OBJECT_LIMIT_DIE_ON_UNHANDLED_EXCEPTION); <see cref="MaxOpenFiles"/> and
/// <see cref="MaxFileSizeBytes"/> have no job equivalent and throw <see cref="UnsupportedOptionException"/>.
/// Limits do not change what happens on timeout: the deadline and the termination sequence apply as always, and a
/// run that both hits a limit and times out ends with <see cref="Outcome.TimedOut"/>.
/// </remarks>
public sealed class ResourceLimits
{
    /// <summary>
    /// Largest virtual address space of each process, in bytes (RLIMIT_AS). Exceeding it makes the allocation fail
    /// (mmap/brk return ENOMEM): the kernel sends no signal and counts nothing, so Timebox cannot tell this apart from
    /// any other failure; the program decides what follows (Python raises MemoryError and exits 1, C's malloc returns
    /// NULL, a stack that cannot grow dies of SIGSEGV). Address space is not memory in use: runtimes that reserve much
    /// more than they use (the .NET runtime, the JVM, Go) need a limit well above their working set, or do not start.
    /// To limit memory in use, with an outcome that says so, use <see cref="MaxMemoryBytes"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Zero or negative.</exception>
    public long? MaxAddressSpaceBytes
    {
        get;
        init => field = Positive(value, nameof(MaxAddressSpaceBytes));
    }

    /// <summary>
    /// Largest memory in use by the whole run together, in bytes: every process it starts, resident memory and the page
    /// cache it fills (and swap, which it cannot escape to), enforced by a memory cgroup made for the run (see
    /// <see cref="MemoryLimitMechanism"/>). At the limit the kernel first reclaims (drops cache), then its OOM killer kills
    /// a process of the run (the largest) with SIGKILL; nothing else is killed, so the main process may carry on. When that
    /// happened (the kernel counts it in the cgroup, along with a system-wide OOM kill of a process of the run), the run ends with <see cref="Outcome.MemoryLimitExceeded"/> (unless it timed out or was canceled, which
    /// keep their outcome) and the checked calls throw <see cref="ResourceLimitExceededException"/>. Unlike
    /// <see cref="MaxAddressSpaceBytes"/> (RLIMIT_AS, per process, address space reserved, allocations fail), runtimes that
    /// reserve much more than they use are not affected. Where no memory cgroup can be made, a command with this limit does
    /// not start (<see cref="UnsupportedOptionException"/>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Zero or negative.</exception>
    public long? MaxMemoryBytes
    {
        get;
        init => field = Positive(value, nameof(MaxMemoryBytes));
    }

    /// <summary>
    /// CPU time (user + system) each process may use, a whole number of seconds (RLIMIT_CPU, which the kernel counts
    /// in seconds). At the limit the kernel sends SIGXCPU (by default fatal); a process that catches or ignores it is
    /// killed with SIGKILL one second later. When that ends the main process, the run ends with
    /// <see cref="Outcome.CpuLimitExceeded"/>. CPU time is not wall time: a sleeping program never reaches it (use a timeout).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Less than a second, or not a whole number of seconds.</exception>
    public TimeSpan? MaxCpuTime
    {
        get;
        init
        {
            if (value is { } time && (time < TimeSpan.FromSeconds(1) || time.Ticks % TimeSpan.TicksPerSecond != 0))
                throw new ArgumentOutOfRangeException(nameof(MaxCpuTime), time, "The CPU time limit must be a whole number of seconds, at least 1 (the kernel counts it in seconds).");
            field = value;
        }
    }

    /// <summary>
    /// Largest number of tasks (processes and threads) at once. How it is enforced, and what it counts, depends on
    /// <see cref="ProcessLimitMechanism"/>: with a pids cgroup it counts the run's own tasks, all of them together;
    /// with RLIMIT_NPROC it counts every task of the user id, the host's and other programs' included. A process that
    /// reaches it cannot fork or start a thread (EAGAIN); nothing is killed for it, so the outcome is the program's.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Zero or negative.</exception>
    public int? MaxProcesses
    {
        get;
        init => field = (int?)Positive(value, nameof(MaxProcesses));
    }

    /// <summary>
    /// Largest file descriptor number + 1 each process may open (RLIMIT_NOFILE). Standard input, output and error
    /// count; a dynamically linked program needs a few more to load its libraries. Opening past it fails with EMFILE.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative.</exception>
    public int? MaxOpenFiles
    {
        get;
        init
        {
            if (value < 0) throw new ArgumentOutOfRangeException(nameof(MaxOpenFiles), value, "The open files limit cannot be negative.");
            field = value;
        }
    }

    /// <summary>
    /// Largest file each process may write, in bytes (RLIMIT_FSIZE). A write past it sends SIGXFSZ (by default
    /// fatal; when it ends the main process the run ends with <see cref="Outcome.FileSizeLimitExceeded"/>), or fails
    /// with EFBIG if the program ignores that signal. Pipes are not files: captured output is not limited by it.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative.</exception>
    public long? MaxFileSizeBytes
    {
        get;
        init
        {
            if (value < 0) throw new ArgumentOutOfRangeException(nameof(MaxFileSizeBytes), value, "The file size limit cannot be negative.");
            field = value;
        }
    }

    /// <summary>
    /// True: no core file is written when a process of the run crashes (RLIMIT_CORE 0). A core_pattern that pipes to
    /// a handler (systemd-coredump, apport) is told the limit and, in the common handlers, writes nothing either.
    /// </summary>
    public bool DisableCoreDumps { get; init; }

    /// <summary>How <see cref="MaxProcesses"/> is enforced on this host: the same as <see cref="HostCapabilities.ProcessLimitMechanism"/>.</summary>
    /// <exception cref="IOException">The host is out of descriptors and could not look: nothing is remembered, the next use looks again.</exception>
    public static ProcessLimitMechanism ProcessLimitMechanism => HostCapabilities.ProcessLimitMechanism;

    /// <summary>How <see cref="MaxMemoryBytes"/> is enforced on this host: the same as <see cref="HostCapabilities.MemoryLimitMechanism"/>.</summary>
    /// <exception cref="IOException">The host is out of descriptors and could not look: nothing is remembered, the next use looks again.</exception>
    public static MemoryLimitMechanism MemoryLimitMechanism => HostCapabilities.MemoryLimitMechanism;

    /// <summary>True when no limit is set.</summary>
    public bool IsEmpty => MaxAddressSpaceBytes is null && MaxMemoryBytes is null && MaxCpuTime is null && MaxProcesses is null
        && MaxOpenFiles is null && MaxFileSizeBytes is null && !DisableCoreDumps;

    private static long? Positive(long? value, string name)
    {
        if (value <= 0) throw new ArgumentOutOfRangeException(name, value, "The limit must be positive.");
        return value;
    }
}
