namespace Timebox;

/// <summary>
/// What finds and kills a run's processes on timeout, cancellation and at the end of the run (see
/// <see cref="Command.WithContainment(bool)"/>, <see cref="Command.Containment"/> and <see cref="Command.AvailableContainment"/>).
/// Every mechanism but <see cref="ProcessTree"/> is full containment: a descendant that called setsid, changed its process
/// group or double-forked is still the run's after its parent died, and nothing of the run outlives it, a normal exit included.
/// </summary>
public enum ContainmentMechanism
{
    /// <summary>
    /// No containment (the default, and all macOS offers): the main process, its process group and every descendant found
    /// by parent links in the process list. A descendant that left the process group and whose parent had already exited
    /// is reparented to init, out of reach, and survives. After a normal exit, descendants that do not hold the output
    /// pipes keep running.
    /// </summary>
    ProcessTree,

    /// <summary>
    /// Linux, cgroup v2 (kernel 5.14+): the child joins a cgroup made for the run before exec, so every process forked
    /// inside stays in it, whatever it does with sessions and process groups (only a privileged process can move itself
    /// out). SIGKILL reaches all of them at once through cgroup.kill, which no fork can outrun; the termination signal
    /// reaches them through the same freeze-and-signal sweep as the tree, the cgroup's members included. Needs a writable
    /// cgroup v2 (the host's own cgroup delegated to it, or a hybrid host's v2 hierarchy) and the native spawn shim.
    /// </summary>
    CgroupKill,

    /// <summary>
    /// Linux without cgroup.kill (cgroup v1, or v2 before 5.14): the run's cgroup as for <see cref="CgroupKill"/>, in a v1
    /// pids or freezer hierarchy; its members, listed from cgroup.procs, are frozen (SIGSTOP) and signaled with the rest of
    /// the tree until a round finds no new one, then killed one by one until the cgroup is empty.
    /// </summary>
    CgroupSweep,

    /// <summary>
    /// Linux, where no cgroup can be made: this process becomes a child subreaper (PR_SET_CHILD_SUBREAPER) while such runs
    /// are alive, so orphans are reparented to it instead of init, and the run's child gets the environment variable
    /// TIMEBOX_RUN_ID; an adopted orphan that carries the run's value, and its descendants, are the run's. Weaker than a
    /// cgroup: a process that replaces its whole environment (env -i, sudo, setproctitle writing over it) before its
    /// parent dies is not recognised once orphaned. It changes the host: see the README ("Containment") for what being a
    /// subreaper means for it.
    /// </summary>
    Subreaper,

    /// <summary>Windows: the Job Object every process of the run is created in (the Windows backend).</summary>
    JobObject,
}
