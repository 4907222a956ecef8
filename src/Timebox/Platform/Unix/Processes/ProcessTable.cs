namespace Timebox.Platform.Unix;

/// <summary>
/// A snapshot of every process: its parent, its process group, whether it is a zombie and (macOS) its start time.
/// Read from /proc on Linux (ProcessTable.Linux.cs), from sysctl on macOS, which has no /proc (ProcessTable.Darwin.cs).
/// </summary>
internal sealed partial class ProcessTable
{
    // StartTime (macOS only, in microseconds) tells a process from a later one with its pid; Linux holds processes by pidfd instead.
    internal readonly record struct Entry(int Parent, int Group, bool Zombie, long StartTime);

    private readonly Dictionary<int, Entry> _entries;

    // Built on first use, once per snapshot: a termination batch asks one snapshot about hundreds of trees, and walking
    // every entry for each of them made a wave of 1,000 timeouts quadratic.
    private Dictionary<int, List<int>>? _children, _groups;

    private ProcessTable(Dictionary<int, Entry> entries) => _entries = entries;

    /// <summary>Every process now (but those still being forked, which the kernel leaves out).</summary>
    /// <param name="lowestPid">The lowest pid to read (null: all); Linux skips the others by their /proc entry's name alone, macOS reads them all.</param>
    /// <exception cref="IOException">This process is out of descriptors or memory: the list would be incomplete.</exception>
    public static ProcessTable Read(int? lowestPid = null) => OperatingSystem.IsMacOS() ? ReadDarwin() : ReadLinux(lowestPid);

    /// <summary>
    /// True when <paramref name="pid"/> is gone, a zombie, already exiting, or hit by a fatal signal it has not acted on
    /// yet: a SIGKILL now would not be what ends it. False when it would (also when its state cannot be read for want of
    /// descriptors: then the kill is counted as needed). Always false on macOS, which has no /proc.
    /// </summary>
    public static bool IsDying(int pid) => !OperatingSystem.IsMacOS() && IsDyingLinux(pid);

    /// <summary>
    /// True when <paramref name="pid"/> is alive but has begun its exit or been hit by a fatal signal the kernel has
    /// already turned into SIGKILL: it can fork no more. False when it is gone, a zombie, or anything else (macOS: always).
    /// </summary>
    public static bool IsExiting(int pid) => !OperatingSystem.IsMacOS() && IsExitingLinux(pid);

    /// <summary>The process group <paramref name="pid"/> had in this snapshot, or null when it is not in it.</summary>
    public int? GroupOf(int pid) => _entries.TryGetValue(pid, out var entry) ? entry.Group : null;

    /// <summary>
    /// The processes of <paramref name="live"/> (a <see cref="LiveTree"/> of this snapshot) that are outside process group
    /// <paramref name="group"/> and whose parent is not in <paramref name="live"/>: no process of the tree is there to
    /// pass a signal on to them (their parent died and they were adopted, by init, a subreaper or this process).
    /// </summary>
    public IEnumerable<int> Unsupervised(HashSet<int> live, int group) =>
        live.Where(pid => _entries.TryGetValue(pid, out var entry) && entry.Group != group && !live.Contains(entry.Parent));

    /// <summary>The start time <paramref name="pid"/> had in this snapshot (macOS), or 0.</summary>
    public long StartTimeOf(int pid) => _entries.TryGetValue(pid, out var entry) ? entry.StartTime : 0;

    /// <summary>The live (non-zombie) processes in this snapshot whose parent is <paramref name="parent"/>.</summary>
    public IEnumerable<int> LiveChildrenOf(int parent) => ChildrenOf(parent).Where(pid => !_entries[pid].Zombie);

    /// <summary>The zombies in this snapshot whose parent is <paramref name="parent"/> and whose process group is <paramref name="group"/>.</summary>
    public IEnumerable<int> ZombieChildrenOf(int parent, int group) =>
        ChildrenOf(parent).Where(pid => _entries[pid] is { Zombie: true } entry && entry.Group == group);

    /// <summary>
    /// The live (non-zombie) processes among <paramref name="roots"/>, those that descend from any of them, and those that
    /// belong to process group <paramref name="group"/>. A root counts itself: a descendant found earlier whose parent has
    /// died since (it was reparented away from the tree) is still the tree's. Costs what the tree has, not what the snapshot has.
    /// </summary>
    public HashSet<int> LiveTree(IEnumerable<int> roots, int group)
    {
        var found = new HashSet<int>(roots);
        if (Index().Groups.TryGetValue(group, out var members)) found.UnionWith(members);
        var pending = new Stack<int>(found);
        while (pending.TryPop(out var pid))
            foreach (var child in ChildrenOf(pid))
                if (found.Add(child)) pending.Push(child);
        found.RemoveWhere(pid => !_entries.TryGetValue(pid, out var entry) || entry.Zombie);
        return found;
    }

    private List<int> ChildrenOf(int parent) => Index().Children.TryGetValue(parent, out var children) ? children : [];

    private (Dictionary<int, List<int>> Children, Dictionary<int, List<int>> Groups) Index()
    {
        if (_children is null || _groups is null)
        {
            _children = [];
            _groups = [];
            foreach (var (pid, entry) in _entries)
            {
                Add(_children, entry.Parent, pid);
                Add(_groups, entry.Group, pid);
            }
        }
        return (_children, _groups);
    }

    private static void Add(Dictionary<int, List<int>> index, int key, int pid)
    {
        if (!index.TryGetValue(key, out var list)) index[key] = list = [];
        list.Add(pid);
    }
}
