using System.Globalization;
using System.Text;

namespace Timebox.Platform.Unix;

/// <summary>
/// A cgroup made for one run under a <see cref="CgroupParent"/>: its settings (pids.max, memory.max, …) are written when
/// it is made, the child joins it between fork and exec through <see cref="ProcsFd"/>, and every process forked inside
/// stays in it whatever it does with sessions and process groups, so it is also what contains the run
/// (<see cref="IContainment"/>). <see cref="Remove"/> kills what is left in it and removes it.
/// </summary>
internal sealed class RunCgroup : IContainment
{
    // Leftovers are killed and waited for in rounds; what forks between rounds is bounded by pids.max or by cgroup.kill,
    // so a few suffice.
    private const int MaxRemoveRounds = 12;
    private const int OpenWriteOnly = 1;
    private static int _sequence;

    private readonly string _directory;
    private readonly CgroupParent _parent;
    private readonly string _membershipLine;
    private readonly bool _canKill;
    private readonly Dictionary<int, int> _dying = [];
    private int _rounds;
    private bool _removing;

    // cgroup.kill, opened with the cgroup (-1 where the kernel has none, or it could not be opened): a kill must work
    // when this process has no descriptor left, which is when a termination that cannot read the process list relies on it.
    private int _killFd;

    private unsafe RunCgroup(CgroupParent parent, string name, int procsFd)
    {
        _parent = parent;
        _directory = Path.Combine(parent.Directory, name);
        _membershipLine = parent.HierarchyPrefix + parent.RelativePath.TrimEnd('/') + "/" + name;
        var killFile = Path.Combine(_directory, "cgroup.kill");
        _canKill = parent.IsV2 && File.Exists(killFile);
        if (_canKill)
        {
            fixed (byte* path = Encoding.UTF8.GetBytes(killFile + "\0")) _killFd = Libc.open(path, OpenWriteOnly | Libc.O_CLOEXEC);
        }
        else
        {
            _killFd = -1;
        }
        ProcsFd = procsFd;
    }

    /// <summary>cgroup.procs of the new cgroup, open for writing: the child writes "0" to it to join; -1 once closed.</summary>
    public int ProcsFd { get; private set; }

    /// <summary>Where it was made.</summary>
    public CgroupParent Parent => _parent;

    /// <summary>
    /// Makes the run's cgroup under <paramref name="parent"/> and writes <paramref name="settings"/> in order (an optional
    /// one only if the kernel has that file).
    /// </summary>
    /// <exception cref="IOException">It could not be made or set up.</exception>
    public static unsafe RunCgroup Create(CgroupParent parent, IEnumerable<(string File, string Value, bool Optional)> settings)
    {
        var name = string.Create(CultureInfo.InvariantCulture, $"timebox-{Environment.ProcessId}-{Interlocked.Increment(ref _sequence)}");
        var directory = Path.Combine(parent.Directory, name);
        Directory.CreateDirectory(directory);
        try
        {
            foreach (var (file, value, optional) in settings)
            {
                var path = Path.Combine(directory, file);
                if (!optional || File.Exists(path)) File.WriteAllText(path, value);
            }
            int fd;
            fixed (byte* path = Encoding.UTF8.GetBytes(Path.Combine(directory, "cgroup.procs") + "\0"))
                fd = Libc.open(path, OpenWriteOnly | Libc.O_CLOEXEC);
            if (fd < 0) throw Libc.Failure($"opening {directory}/cgroup.procs");
            return new RunCgroup(parent, name, fd);
        }
        catch
        {
            Directory.Delete(directory);
            throw;
        }
    }

    /// <summary>The child has joined (or failed): the host needs the descriptor no longer.</summary>
    public void CloseProcsFd()
    {
        if (ProcsFd < 0) return;
        Libc.close(ProcsFd);
        ProcsFd = -1;
    }

    /// <summary>The value of <paramref name="key"/> in a flat-keyed file of the cgroup ("oom_kill 1" in memory.events), or 0.</summary>
    public long ReadCount(string file, string key)
    {
        try
        {
            foreach (var line in File.ReadLines(Path.Combine(_directory, file)))
            {
                var parts = line.Split(' ');
                if (parts.Length == 2 && parts[0] == key && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var value))
                    return value;
            }
        }
        catch (IOException)
        {
            // Already removed.
        }
        return 0;
    }

    /// <inheritdoc/>
    public IEnumerable<int> Members(ProcessTable table) => Members();

    /// <inheritdoc/>
    public unsafe int KillAll()
    {
        if (!_canKill) return 0;
        // Counted before the kill: a member already dying (of the first signal) is not one that SIGKILL ended.
        var notDying = Members().Count(pid => !ProcessTable.IsDying(pid));
        var one = (byte)'1';
        if (_killFd >= 0)
        {
            // Fails only once the cgroup is removed: nothing left to kill.
            Libc.write(_killFd, &one, 1);
            return notDying;
        }
        try
        {
            File.WriteAllText(Path.Combine(_directory, "cgroup.kill"), "1");
        }
        catch (IOException)
        {
            // Already removed: nothing left to kill.
        }
        return notDying;
    }

    /// <summary>
    /// Kills with SIGKILL whatever is still in the cgroup (at once through cgroup.kill where the kernel has it), and removes
    /// the cgroup once it is empty: at once when it already is, otherwise when the last killed process has ended (loop
    /// thread, no waiting). A cgroup still not empty after a few rounds (a process stuck in the kernel) is left behind,
    /// empty of anything alive that Timebox can kill. Calling it again does nothing.
    /// </summary>
    public void Remove(EventLoop loop)
    {
        if (_removing) return;
        _removing = true;
        CloseProcsFd();
        KillAll();
        if (_killFd >= 0) Libc.close(_killFd);
        _killFd = -1;
        Sweep(loop);
    }

    private void Sweep(EventLoop loop)
    {
        if (_rounds++ >= MaxRemoveRounds) return;
        foreach (var pid in Members())
        {
            if (_dying.ContainsKey(pid)) continue;
            var pidfd = Libc.PidfdOpen(pid);
            if (pidfd < 0) continue;
            // The pidfd pins the process; checking its cgroup after opening it makes sure the pid was not recycled
            // by an unrelated process between the listing and the open.
            if (!IsMember(pid))
            {
                Libc.close(pidfd);
                continue;
            }
            Libc.PidfdSendSignal(pidfd, Signals.Kill);
            _dying[pid] = pidfd;
            loop.Watch(pidfd, _ => OnMemberEnded(loop, pid));
        }
        if (_dying.Count > 0) return;
        try
        {
            Directory.Delete(_directory);
        }
        catch (IOException)
        {
            // Busy with nothing listed to wait for: tasks still on their way out (a process whose main thread has
            // exited is no longer listed while its other threads finish). cgroup v1 gives no event for it, so look
            // again after a delay that doubles each round: 10 ms, 20 ms, … about 10 s in all.
            loop.Schedule(TimeSpan.FromMilliseconds(5 << Math.Min(_rounds, 10)), () => Sweep(loop));
        }
    }

    private void OnMemberEnded(EventLoop loop, int pid)
    {
        var pidfd = _dying[pid];
        loop.Unwatch(pidfd);
        Libc.close(pidfd);
        _dying.Remove(pid);
        if (_dying.Count == 0) Sweep(loop);
    }

    private List<int> Members()
    {
        var members = new List<int>();
        try
        {
            foreach (var line in File.ReadLines(Path.Combine(_directory, "cgroup.procs")))
                if (int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) members.Add(pid);
        }
        catch (IOException)
        {
            // Already removed.
        }
        return members;
    }

    private bool IsMember(int pid)
    {
        try
        {
            return File.ReadLines($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/cgroup").Contains(_membershipLine, StringComparer.Ordinal);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
