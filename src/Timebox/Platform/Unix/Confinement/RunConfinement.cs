using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace Timebox.Platform.Unix;

/// <summary>
/// What a run asks for beyond a plain spawn, set up around it: resource limits and cgroups (process limit, memory limit,
/// containment) joined before exec, the subreaper and marker of <see cref="ContainmentMechanism.Subreaper"/>, and, for
/// <see cref="Command.KillOnParentExit"/>, registration with the <see cref="ParentExitGuardian"/> and a parent-death signal
/// from a thread that never ends. <see cref="Release"/> undoes it when the run finishes.
/// </summary>
internal sealed unsafe partial class RunConfinement
{
    /// <summary>How far the CPU hard limit (SIGKILL) is above the soft one (SIGXCPU), so a program can act on SIGXCPU.</summary>
    public static readonly TimeSpan CpuHardLimitMargin = TimeSpan.FromSeconds(1);

    private const int RlimitCpu = 0, RlimitFsize = 1, RlimitCore = 4, RlimitNproc = 6, RlimitNofile = 7, RlimitAs = 9;

    private readonly RunCgroupSet? _cgroups;
    private readonly SubreaperContainment? _subreaper;
    private ParentExitGuardian? _guardian;
    private int _pid;

    private RunConfinement(RunCgroupSet? cgroups, SubreaperContainment? subreaper)
    {
        _cgroups = cgroups;
        _subreaper = subreaper;
    }

    /// <summary>
    /// This process's peak resident set right after the spawn: at least what the kernel charged the child at exec
    /// (see <see cref="ResourceUsage.PeakResidentSetIsUpperBound"/>).
    /// </summary>
    public long HostPeakBytes { get; private set; }

    /// <summary>What contains the run beyond its process tree (<see cref="Command.Containment"/>); null when it is not contained.</summary>
    public IContainment? Containment => (IContainment?)_cgroups?.Containment ?? _subreaper;

    /// <summary>True when the kernel OOM-killed a process of the run's memory cgroup; known after <see cref="Release"/>.</summary>
    public bool MemoryLimitExceeded { get; private set; }

    [LibraryImport("libc", EntryPoint = "getrlimit")]
    private static partial int GetRlimit(int resource, ulong* limit);

    /// <summary>
    /// True when <paramref name="command"/> asks for what is set up beyond a plain spawn (limits, cgroups or a subreaper,
    /// a parent-death signal), whose run must then be driven by the shared <see cref="EventLoop"/>, not by a caller's
    /// thread: the parent-death signal fires when the thread that spawned the child ends, and the cgroups and the
    /// subreaper are cleaned up by the loop after the run; the loop's thread lives as long as the process.
    /// </summary>
    public static bool NeedsSharedLoop(Command command) => command.Limits is not null || command.ContainmentRequested || command.KillOnParentExit;

    /// <summary>Spawns as <see cref="PosixSpawner.Spawn"/> does, with what the command asks for in force before exec.</summary>
    /// <exception cref="UnsupportedOptionException">The host cannot enforce what the command asks for; nothing ran.</exception>
    public static int Spawn(in SpawnRequest request, out int pidfd, out RunConfinement confinement)
    {
        var command = request.Command;
        var limits = command.Limits;
        var contained = command.ContainmentRequested;
        if (contained && (command.Containment == ContainmentMechanism.ProcessTree || !HostCapabilities.IsContainmentAvailable(command.Containment)))
        {
            throw new UnsupportedOptionException(command, nameof(Command.Containment), command.Containment == ContainmentMechanism.ProcessTree
                ? "this host offers no containment beyond the process tree"
                : $"{command.Containment} is not available on this host (Command.AvailableContainment is {HostCapabilities.BestContainment})");
        }
        if ((limits is not null || command.KillOnParentExit) && !SpawnShim.Available)
        {
            throw new UnsupportedOptionException(command, limits is not null ? nameof(Command.Limits) : nameof(Command.KillOnParentExit),
                "it must be set up between fork and exec, which needs the native spawn shim (libtimebox_spawn.so, built with gcc); posix_spawn cannot");
        }
        var options = limits is null ? request.Options : WithRlimits(request.Options, command, limits);
        // Read before anything is set up, so that a loop that cannot be had leaves nothing to undo, and a plain blocking
        // run, which its own thread drives, never starts the loop's thread.
        var loop = NeedsSharedLoop(command) ? EventLoop.Shared : null;
        var subreaper = command.Containment == ContainmentMechanism.Subreaper ? SubreaperContainment.Begin() : null;
        RunCgroupSet? cgroups;
        try
        {
            cgroups = limits is null && !contained ? null : RunCgroupSet.Create(command);
        }
        catch
        {
            subreaper?.Leave();
            throw;
        }
        confinement = new RunConfinement(cgroups, subreaper);
        if (cgroups is not null) options = options with { CgroupProcsFds = cgroups.ProcsFds };
        var confined = request with
        {
            Environment = subreaper is null ? request.Environment : subreaper.Mark(request.Environment ?? EnvironmentBlock.For(command)),
            Options = command.KillOnParentExit ? options with { ParentDeathSignal = Signals.Kill } : options,
        };
        int pid;
        try
        {
            pid = command.KillOnParentExit ? confinement.SpawnOnLoop(loop!, confined, out pidfd) : confinement.SpawnHere(confined, out pidfd);
        }
        catch
        {
            subreaper?.Leave();
            if (cgroups is not null)
            {
                cgroups.CloseProcsFds();
                loop!.Post(() => cgroups.Remove(loop));
            }
            throw;
        }
        cgroups?.CloseProcsFds();
        return pid;
    }

    /// <summary>
    /// The run has finished and its main process is about to be reaped: the guardian forgets it, whether the memory limit
    /// ended anything is read, and whatever is left of a contained run, or in its cgroups, is killed (and, under a
    /// subreaper, reaped) and the cgroups removed. Loop thread only.
    /// </summary>
    public void Release(EventLoop loop, ProcessTree tree)
    {
        _guardian?.Unregister(_pid);
        if (_cgroups is not null)
        {
            MemoryLimitExceeded = _cgroups.MemoryLimitExceeded;
            _cgroups.Remove(loop);
        }
        _subreaper?.End(loop, tree, _pid);
    }

    private int SpawnHere(in SpawnRequest request, out int pidfd)
    {
        _pid = PosixSpawner.Spawn(request, out pidfd);
        HostPeakBytes = Rusage.PeakOfThisProcess();
        return _pid;
    }

    // PR_SET_PDEATHSIG fires when the *thread* that spawned the child ends, and thread-pool threads retire: the
    // event loop's thread lives as long as the process, so the signal comes only when the host itself ends.
    private int SpawnOnLoop(EventLoop loop, SpawnRequest request, out int pidfd)
    {
        if (loop.IsLoopThread) return SpawnGuarded(loop, request, out pidfd);
        using var done = new ManualResetEventSlim();
        var (pid, childPidfd) = (0, -1);
        ExceptionDispatchInfo? failure = null;
        loop.Post(() =>
        {
            try
            {
                pid = SpawnGuarded(loop, request, out childPidfd);
            }
#pragma warning disable CA1031 // not swallowed: rethrown on the caller's thread
            catch (Exception exception)
#pragma warning restore CA1031
            {
                failure = ExceptionDispatchInfo.Capture(exception);
            }
            finally
            {
                done.Set();
            }
        });
        done.Wait();
        failure?.Throw();
        pidfd = childPidfd;
        return pid;
    }

    private int SpawnGuarded(EventLoop loop, in SpawnRequest request, out int pidfd)
    {
        var guardian = ParentExitGuardian.Get(loop);
        var pid = SpawnHere(request with { Options = request.Options with { GuardianFd = guardian.WriteFd } }, out pidfd);
        _guardian = guardian;
        return pid;
    }

    private static SpawnOptions WithRlimits(in SpawnOptions options, Command command, ResourceLimits limits)
    {
        var table = default(RlimitTable);
        var mask = 0u;
        void Set(int resource, string option, ulong soft, ulong hard)
        {
            ulong* current = stackalloc ulong[2];
            // Raising a hard limit needs privilege: without it the hard limit stays where the host has it, and a soft
            // limit above that cannot be had.
            if (GetRlimit(resource, current) == 0 && !ProcessLimits.ProgramIsPrivileged && hard > current[1])
            {
                if (soft > current[1])
                    throw new UnsupportedOptionException(command, option, $"it is above the host's own hard limit ({current[1]}), which only a privileged process may raise");
                hard = current[1];
            }
            table[2 * resource] = soft;
            table[(2 * resource) + 1] = hard;
            mask |= 1u << resource;
        }

        if (limits.MaxCpuTime is { } cpu)
        {
            var seconds = (ulong)cpu.TotalSeconds;
            Set(RlimitCpu, nameof(ResourceLimits.MaxCpuTime), seconds, seconds + (ulong)CpuHardLimitMargin.TotalSeconds);
        }
        if (limits.MaxAddressSpaceBytes is { } addressSpace) Set(RlimitAs, nameof(ResourceLimits.MaxAddressSpaceBytes), (ulong)addressSpace, (ulong)addressSpace);
        if (limits.MaxOpenFiles is { } files) Set(RlimitNofile, nameof(ResourceLimits.MaxOpenFiles), (ulong)files, (ulong)files);
        if (limits.MaxFileSizeBytes is { } size) Set(RlimitFsize, nameof(ResourceLimits.MaxFileSizeBytes), (ulong)size, (ulong)size);
        if (limits.DisableCoreDumps) Set(RlimitCore, nameof(ResourceLimits.DisableCoreDumps), 0, 0);
        if (limits.MaxProcesses is { } processes)
        {
            switch (ProcessLimits.Mechanism)
            {
                case ProcessLimitMechanism.UserRlimit:
                    Set(RlimitNproc, nameof(ResourceLimits.MaxProcesses), (ulong)processes, (ulong)processes);
                    break;
                case ProcessLimitMechanism.None:
                    throw new UnsupportedOptionException(command, nameof(ResourceLimits.MaxProcesses),
                        "the program would run as root (or with CAP_SYS_RESOURCE/CAP_SYS_ADMIN), which the kernel exempts from RLIMIT_NPROC, and no pids cgroup can be made under the host's cgroup");
            }
        }
        return options with { RlimitMask = mask, Rlimits = table };
    }
}
