using System.Diagnostics;

namespace Timebox.Platform.Unix;

/// <summary>
/// A tree of processes to signal as one: a root, its descendants and the members of one process group, each held (see
/// <see cref="HeldProcess"/>) once found so that a signal can never reach a recycled pid. For a run of the library the
/// root is the leader, whose pid is also the group id; it stays unreaped until the run finishes, so the group id cannot
/// be reused while we signal it. For the timebox CLI the root is this process itself, which is never signalled.
/// </summary>
internal sealed class ProcessTree : IDisposable
{
    private const int MaxFreezeRounds = 32;
    private const int NoGroup = -1;

    // How long a kill waits for its processes to be gone before it returns (see PidfdEnd.WaitAll).
    private static readonly TimeSpan KillSettleBound = TimeSpan.FromMilliseconds(250);

    private readonly Dictionary<int, HeldProcess> _descendants = [];
    private readonly ChildProcess? _leader;
    private readonly IContainment? _containment;
    private readonly int _rootPid, _group;
    private readonly bool _includeRootDescendants;
    private readonly long _created = Stopwatch.GetTimestamp();

    // The tree as the last sweep left it: every live process it found (frozen then), and the pid cursor read while they
    // were frozen. While the cursor has not moved, no process was created since, so the tree is still those processes,
    // less the ones that have ended: a later sweep needs no new read of the process list. A new run starts from its
    // leader, with the cursor at the leader's own pid.
    private HashSet<int> _lastLive = [];
    private long? _quietMark;

    /// <summary>
    /// The tree of a run: its leader, the leader's process group and their descendants, plus, when the run is contained,
    /// every process <paramref name="containment"/> knows to be the run's and their descendants.
    /// </summary>
    public ProcessTree(ChildProcess leader, IContainment? containment)
        : this(leader.Pid, leader, leader.Pid, includeRootDescendants: true)
    {
        _containment = containment;
        _lastLive = [leader.Pid];
        _quietMark = OperatingSystem.IsMacOS() ? null : leader.Pid;
    }

    // A null leader means the root is this process.
    private ProcessTree(int rootPid, ChildProcess? leader, int group, bool includeRootDescendants)
    {
        _rootPid = rootPid;
        _leader = leader;
        _group = group;
        _includeRootDescendants = includeRootDescendants;
    }

    /// <summary>
    /// What this process started: the other members of process group <paramref name="group"/> (null for none) and, with
    /// <paramref name="descendants"/>, every descendant (a child subreaper gets orphans back, so they stay descendants).
    /// This process itself is never signalled.
    /// </summary>
    public static ProcessTree OfThisProcess(int? group, bool descendants) =>
        new(Environment.ProcessId, leader: null, group ?? NoGroup, includeRootDescendants: descendants);

    /// <summary>The process list as <see cref="SignalAll"/> last read it (zombies included), or null before.</summary>
    public ProcessTable? LastTable { get; private set; }

    /// <summary>How many distinct processes the tree has reached so far, its leader not counted.</summary>
    public int ReachedCount => _descendants.Count;

    /// <summary>
    /// Stops every live process of the tree (SIGSTOP), reading the process list again until a round finds nothing new,
    /// so nothing can fork out of reach while we act; then sends <paramref name="signal"/> to each of them and to
    /// the process group, and SIGCONT so that stopped processes act on it. Returns how many live processes were found.
    /// SIGKILL goes first to the containment's members at once where it can (cgroup.kill), which no fork can outrun,
    /// and returns only once the killed processes are gone (within <see cref="KillSettleBound"/>).
    /// </summary>
    public int SignalAll(int signal)
    {
        var killedAtOnce = signal == Signals.Kill ? _containment?.KillAll() ?? 0 : 0;
        var live = Unchanged() ?? Freeze();
        Send(live, signal);
        if (signal != Signals.Kill) Send(live, Signals.Continue);
        else if (!OperatingSystem.IsMacOS()) PidfdEnd.WaitAll(live.Select(PidfdOf).ToList(), KillSettleBound);
        return Math.Max(live.Count, killedAtOnce);
    }

    /// <summary>Sends <paramref name="signal"/> to the leader only.</summary>
    public void SignalLeader(int signal) => _leader?.Signal(signal);

    // The fast path: when the pid cursor shows that nothing was created since the last sweep froze the tree, the tree is
    // what that sweep found, less what has ended. Those are stopped (a stopped process cannot fork) before the cursor is
    // checked, so that nothing can be created unseen between the check and the signal; and stopped, not killed, so that
    // the slow path still finds them alive and counts them.
    private HashSet<int>? Unchanged()
    {
        if (_quietMark is not { } mark) return null;
        var alive = _lastLive.Where(pid => !PidfdEnd.HasEnded(PidfdOf(pid))).ToHashSet();
        foreach (var pid in alive) SignalOne(pid, Signals.Stop, table: null);
        if (PidCursor.Read() != mark) return null;
        _lastLive = alive;
        return alive;
    }

    private HashSet<int> Freeze()
    {
        var stopped = new HashSet<int>();
        var cursor = PidCursor.Read();
        for (var round = 0; round < MaxFreezeRounds; round++)
        {
            IEnumerable<int> roots = _includeRootDescendants ? _descendants.Keys.Prepend(_rootPid) : _descendants.Keys;
            // A run's tree was all created after its leader (this process's own tree, for the CLI, may include older
            // members of its process group).
            var window = _leader is null ? null : PidWindow.After(_rootPid, _created, cursor);
            var table = ProcessTable.Read(window);
            LastTable = table;
            if (_containment is not null) roots = roots.Concat(_containment.Members(table));
            var live = table.LiveTree(roots, _group);
            if (_leader is null) live.Remove(_rootPid);
            var fresh = live.Where(pid => !stopped.Contains(pid)).ToList();
            foreach (var pid in fresh)
            {
                SignalOne(pid, Signals.Stop, table);
                stopped.Add(pid);
            }
            // Complete when this round found nothing new (all were stopped before the read), or when nothing at all was
            // created between the cursor read before the list was read and now, with every process found stopped.
            // A window is only good if the cursor did not wrap during the read (new processes would then have small pids).
            var after = PidCursor.Read();
            var windowHeld = window is null || (after is not null && after >= cursor);
            if (windowHeld && (fresh.Count == 0 || (after is not null && after == cursor))) return Remember(live, after);
            cursor = after;
        }
        return Remember(stopped, null);
    }

    private HashSet<int> Remember(HashSet<int> live, long? mark)
    {
        _lastLive = live;
        _quietMark = mark;
        return live;
    }

    private int PidfdOf(int pid) =>
        pid == _rootPid && _leader is not null ? _leader.Pidfd : _descendants.TryGetValue(pid, out var held) ? held.Pidfd : -1;

    private void Send(HashSet<int> live, int signal)
    {
        foreach (var pid in live) SignalOne(pid, signal, table: null);
        // Members that joined the group after the last read of the process list are reached through the group, unless
        // this process is a member itself.
        if (_leader is not null) Libc.kill(-_group, signal);
    }

    // A process not held yet is held first, from the process list it was found in (null: it must be held already).
    private void SignalOne(int pid, int signal, ProcessTable? table)
    {
        if (pid == _rootPid && _leader is not null)
        {
            _leader.Signal(signal);
            return;
        }
        if (!_descendants.TryGetValue(pid, out var held))
        {
            if (table is null || !HeldProcess.TryHold(pid, table, out held)) return;
            _descendants[pid] = held;
        }
        held.Signal(signal);
    }

    /// <summary>
    /// Hands over every process the tree holds (each one's pidfd), and forgets them: for a subreaper, which must reap
    /// those that end up as its children (see <see cref="SubreaperContainment"/>).
    /// </summary>
    public List<HeldProcess> TakeHeld()
    {
        var held = _descendants.Values.ToList();
        _descendants.Clear();
        return held;
    }

    public void Dispose()
    {
        foreach (var held in _descendants.Values) held.Release();
        _descendants.Clear();
    }
}
