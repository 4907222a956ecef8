namespace Timebox.Platform.Unix;

/// <summary>
/// What full containment (<see cref="Command.Containment"/>) adds to a run's <see cref="ProcessTree"/>: the processes that
/// belong to the run wherever they went (another session, another process group, a parent that died), which the tree
/// freezes and signals with the rest, and, where the kernel offers it, a kill of all of them at once.
/// </summary>
internal interface IContainment
{
    /// <summary>
    /// The run's processes, as far as this mechanism knows them, beyond what the tree reaches by parent links and process
    /// group (their descendants are then found by parent links). <paramref name="table"/> is the snapshot being scanned.
    /// </summary>
    IEnumerable<int> Members(ProcessTable table);

    /// <summary>
    /// SIGKILL to every member at once where the kernel can do it without a race against fork (cgroup v2 cgroup.kill);
    /// returns how many members it reached, or 0 (and does nothing) where it cannot.
    /// </summary>
    int KillAll();
}
