namespace Timebox.Platform.Unix;

/// <summary>
/// The process tree of one run: the leader (whose pid is also the process group id) and every descendant
/// found so far, each held by a pidfd so that a signal can never reach a recycled pid. The leader stays
/// unreaped until the run finishes, so its process group id cannot be reused while we signal it.
/// </summary>
internal sealed class ProcessTree(int leaderPid, int leaderPidfd) : IDisposable
{
    private const int MaxFreezeRounds = 32;
    private readonly Dictionary<int, int> _descendantPidfds = [];

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
    public void SignalLeader(int signal) => Libc.PidfdSendSignal(leaderPidfd, signal);

    private HashSet<int> Freeze()
    {
        var stopped = new HashSet<int>();
        for (var round = 0; round < MaxFreezeRounds; round++)
        {
            var live = ProcessTable.Read().LiveTree(_descendantPidfds.Keys.Prepend(leaderPid), leaderPid);
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
        // Members that joined the group after the last /proc read are reached through the group.
        Libc.kill(-leaderPid, signal);
    }

    private int PidfdOf(int pid)
    {
        if (pid == leaderPid) return leaderPidfd;
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
