using System.Globalization;

namespace Timebox.Platform.Unix;

/// <summary>
/// The cgroups one run is placed in, at most one per hierarchy (<see cref="CgroupFds.Count"/>): for its process limit
/// (pids), its memory limit (memory) and its containment. What falls in the same directory (cgroup v2 with the
/// controllers delegated) is one cgroup with all the settings.
/// </summary>
internal sealed class RunCgroupSet
{
    private readonly List<RunCgroup> _cgroups;
    private readonly RunCgroup? _memory;

    private RunCgroupSet(List<RunCgroup> cgroups, RunCgroup? memory, RunCgroup? containment)
    {
        _cgroups = cgroups;
        _memory = memory;
        Containment = containment;
    }

    /// <summary>The cgroup that contains the run, when the command asks for cgroup containment.</summary>
    public RunCgroup? Containment { get; }

    /// <summary>The cgroup.procs descriptors the child writes itself into before exec.</summary>
    public CgroupFds ProcsFds
    {
        get
        {
            var fds = CgroupFds.None;
            for (var i = 0; i < _cgroups.Count; i++) fds[i] = _cgroups[i].ProcsFd;
            return fds;
        }
    }

    /// <summary>True when the kernel OOM-killed a process of the run's memory cgroup (read before <see cref="Remove"/>).</summary>
    public bool MemoryLimitExceeded => _memory is not null && MemoryLimits.OomKilled(_memory);

    /// <summary>Makes the cgroups <paramref name="command"/> needs; null (nothing made, nothing read) when it needs none.</summary>
    /// <exception cref="UnsupportedOptionException">A cgroup the command needs cannot be made here; nothing is left behind.</exception>
    public static RunCgroupSet? Create(Command command)
    {
        var limits = command.Limits;
        var plan = new List<(CgroupParent Parent, string Option, List<(string File, string Value, bool Optional)> Settings)>();
        int Want(CgroupParent parent, string option, IEnumerable<(string File, string Value, bool Optional)> settings)
        {
            var index = plan.FindIndex(entry => entry.Parent.Directory == parent.Directory);
            if (index < 0)
            {
                plan.Add((parent, option, []));
                index = plan.Count - 1;
            }
            plan[index].Settings.AddRange(settings);
            return index;
        }

        int? memory = null, containment = null;
        if (limits?.MaxProcesses is { } tasks && ProcessLimits.Mechanism == ProcessLimitMechanism.PidsCgroup)
            Want(ProcessLimits.PidsCgroupBase!, nameof(ResourceLimits.MaxProcesses), [("pids.max", tasks.ToString(CultureInfo.InvariantCulture), false)]);
        if (limits?.MaxMemoryBytes is { } bytes)
        {
            var parent = MemoryLimits.Mechanism == MemoryLimitMechanism.MemoryCgroup ? MemoryLimits.CgroupParent! : throw new UnsupportedOptionException(
                command, nameof(ResourceLimits.MaxMemoryBytes),
                "no memory cgroup can be made under the host's cgroup (a cgroup v1 memory hierarchy, or cgroup v2 with the memory controller delegated) or the native spawn shim is missing; ResourceLimits.MaxAddressSpaceBytes (RLIMIT_AS) needs neither");
            memory = Want(parent, nameof(ResourceLimits.MaxMemoryBytes), MemoryLimits.Settings(parent, bytes));
        }
        if (command.Containment is ContainmentMechanism.CgroupKill or ContainmentMechanism.CgroupSweep)
        {
            // Any cgroup of the run contains it; only cgroup.kill needs one of its own in cgroup v2.
            containment = command.Containment == ContainmentMechanism.CgroupSweep && plan.Count > 0
                ? 0
                : Want(ContainmentSupport.ParentFor(command.Containment)!, nameof(Command.Containment), []);
        }
        if (plan.Count == 0) return null;

        var cgroups = new List<RunCgroup>(plan.Count);
        foreach (var (parent, option, settings) in plan)
        {
            try
            {
                cgroups.Add(RunCgroup.Create(parent, settings));
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                var loop = EventLoop.Shared;
                loop.Post(() => cgroups.ForEach(cgroup => cgroup.Remove(loop)));
                // A host out of descriptors could make the cgroup another time: not an option this host lacks.
                if (exception is IOException io && Libc.IsDescriptorShortage(io)) throw;
                throw new UnsupportedOptionException(command, option, $"the run's cgroup could not be made in {parent.Directory} ({exception.Message})");
            }
        }
        return new RunCgroupSet(cgroups, memory is { } m ? cgroups[m] : null, containment is { } c ? cgroups[c] : null);
    }

    /// <summary>The child has joined (or failed): the host needs the descriptors no longer.</summary>
    public void CloseProcsFds() => _cgroups.ForEach(cgroup => cgroup.CloseProcsFd());

    /// <summary>Kills whatever is left in the cgroups and removes them (see <see cref="RunCgroup.Remove"/>). Loop thread only.</summary>
    public void Remove(EventLoop loop) => _cgroups.ForEach(cgroup => cgroup.Remove(loop));
}
