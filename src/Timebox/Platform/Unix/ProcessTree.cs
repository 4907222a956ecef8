namespace Timebox.Platform.Unix;

/// <summary>
/// A tree of processes to signal as one: a root, its descendants and the members of one process group, each held by
/// a pidfd once found so that a signal can never reach a recycled pid. For a run of the library the root is the
/// leader, whose pid is also the group id; it stays unreaped until the run finishes, so the group id cannot be
/// reused while we signal it. For the timebox CLI the root is this process itself, which is never signalled.
/// </summary>
internal sealed class ProcessTree : IDisposable
{
    private const int MaxFreezeRounds = 32;
    private const int NoGroup = -1;
    private readonly Dictionary<int, int> _descendantPidfds = [];
    private readonly int _rootPid, _rootPidfd, _group;
    private readonly bool _rootIsThisProcess, _includeRootDescendants;

    /// <summary>The tree of a run: its leader (held by <paramref name="leaderPidfd"/>), the leader's process group and their descendants.</summary>
    public ProcessTree(int leaderPid, int leaderPidfd) : this(leaderPid, leaderPidfd, leaderPid, rootIsThisProcess: false, includeRootDescendants: true) { }

    private ProcessTree(int rootPid, int rootPidfd, int group, bool rootIsThisProcess, bool includeRootDescendants)
    {
        _rootPid = rootPid;
        _rootPidfd = rootPidfd;
        _group = group;
        _rootIsThisProcess = rootIsThisProcess;
        _includeRootDescendants = includeRootDescendants;
    }

    /// <summary>
    /// What this process started: the other members of process group <paramref name="group"/> (null for none) and, with
    /// <paramref name="descendants"/>, every descendant (a child subreaper gets orphans back, so they stay descendants).
    /// This process itself is never signalled.
    /// </summary>
    public static ProcessTree OfThisProcess(int? group, bool descendants) =>
        new(Environment.ProcessId, -1, group ?? NoGroup, rootIsThisProcess: true, includeRootDescendants: descendants);

    /// <summary>How many distinct processes the tree has reached so far, its leader not counted.</summary>
    public int ReachedCount => _descendantPidfds.Count;

    /// <summary>
    /// Stops every live process of the tree (SIGSTOP), reading /proc again until a round finds nothing new,
    /// so nothing can fork out of reach while we act; then sends <paramref name="signal"/> to each of them and to
    /// the process group, and SIGCONT so that stopped processes act on it. Returns how many live processes were found.
    /// </summary>
    public int SignalAll(int signal)
    {
        var live = Freeze();
        Send(live, signal);
        if (signal != Signals.Kill) Send(live, Signals.Continue);
        return live.Count;
    }

    /// <summary>Sends <paramref name="signal"/> to the leader only, through its pidfd.</summary>
    public void SignalLeader(int signal) => Libc.PidfdSendSignal(_rootPidfd, signal);

    private HashSet<int> Freeze()
    {
        var stopped = new HashSet<int>();
        for (var round = 0; round < MaxFreezeRounds; round++)
        {
            var roots = _includeRootDescendants ? _descendantPidfds.Keys.Prepend(_rootPid) : _descendantPidfds.Keys;
            var live = ProcessTable.Read().LiveTree(roots, _group);
            if (_rootIsThisProcess) live.Remove(_rootPid);
            var fresh = live.Where(pid => !stopped.Contains(pid)).ToList();
            if (fresh.Count == 0) return live;
            foreach (var pid in fresh)
            {
                var pidfd = PidfdOf(pid);
                if (pidfd >= 0) Libc.PidfdSendSignal(pidfd, Signals.Stop);
                stopped.Add(pid);
            }
        }
        return stopped;
    }

    private void Send(HashSet<int> live, int signal)
    {
        foreach (var pid in live)
        {
            var pidfd = PidfdOf(pid);
            if (pidfd >= 0) Libc.PidfdSendSignal(pidfd, signal);
        }
        // Members that joined the group after the last /proc read are reached through the group, unless this
        // process is a member itself.
        if (!_rootIsThisProcess) Libc.kill(-_group, signal);
    }

    private int PidfdOf(int pid)
    {
        if (pid == _rootPid && !_rootIsThisProcess) return _rootPidfd;
        if (_descendantPidfds.TryGetValue(pid, out var pidfd)) return pidfd;
        pidfd = Libc.PidfdOpen(pid);
        if (pidfd >= 0) _descendantPidfds[pid] = pidfd;
        return pidfd;
    }

    public void Dispose()
    {
        foreach (var pidfd in _descendantPidfds.Values) Libc.close(pidfd);
        _descendantPidfds.Clear();
    }
}
