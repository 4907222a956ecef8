using System.Diagnostics;

namespace Timebox.Platform.Unix;

/// <summary>
/// A tree of processes to signal as one: a root, its descendants and the members of one process group, each held (see
/// <see cref="HeldProcess"/>) once found so that a signal can never reach a recycled pid. For a run of the library the
/// root is the leader, whose pid is also the group id; it stays unreaped until the run finishes, so the group id cannot
/// be reused while we signal it. For the timebox CLI the root is this process itself, which is never signaled.
/// </summary>
/// <remarks>
/// <para>
/// Which processes get the first signal, and why. <see cref="Signal"/> sends it where GNU timeout sends it: to the command
/// and its process group. A process of the tree outside that group gets it directly only when no live process of the
/// tree is its parent: it was orphaned (adopted by this process as subreaper, or by init and found through containment),
/// so nothing in the tree is left to pass the signal on. Every other process outside the group has a supervisor in the
/// tree (a nested timebox or timeout, make, a shell with job control, a test runner): that one decides what its children
/// get, and gets the grace period to do it. Sending to them directly, as a sweep of every descendant would, broke nested
/// supervisors: <c>timebox -s ALRM 30 timebox -s USR1 25 job</c> must let the inner one time out and send USR1 to
/// <c>job</c>, whose trap then runs; the sweep sent ALRM straight to <c>job</c>, which died of it.
/// </para>
/// <para>
/// Nothing survives all the same: <see cref="Kill"/>, after the grace period, and as soon as the command has ended after
/// the first signal, stops and SIGKILLs everything left (cgroup.kill first where containment has it). Every process
/// the first signal found is held, so the kill still finds it after its parent died and it was reparented away.
/// </para>
/// </remarks>
internal sealed class ProcessTree : IDisposable
{
    private const int MaxFreezeRounds = 32;
    private const int NoGroup = -1;

    // Without stopping, a read is complete only when no pid was handed out while it ran. A tree that forks without
    // pause never gives one: a few reads find what exists, and what it forks later descends from what was found.
    private const int MaxSurveyRounds = 4;

    // How long a kill waits for its processes to be gone before it returns (see PidfdEnd.WaitAll).
    private static readonly TimeSpan KillSettleBound = TimeSpan.FromMilliseconds(250);

    // How long a kill waits for processes that are already exiting to be gone before it reads the process list instead
    // (see Ended): an exit takes microseconds once the process runs.
    private static readonly TimeSpan ExitingBound = TimeSpan.FromMilliseconds(50);

    private readonly Dictionary<int, HeldProcess> _descendants = [];
    private readonly ChildProcess? _leader;
    private readonly IContainment? _containment;
    private readonly int _rootPid, _group, _command;
    private readonly bool _includeRootDescendants;
    private readonly long _created = Stopwatch.GetTimestamp();

    // The tree as the last complete read left it: every live process it found, and the pid cursor read right after.
    // While the cursor has not moved, no process was created since, so the tree is still those processes, less the ones
    // that have ended: a later sweep needs no new read of the process list. A new run starts from its leader, with the
    // cursor at the leader's own pid.
    private HashSet<int> _lastLive = [];
    private long? _quietMark;

    // The first signal, and the pid cursor read just before it was sent: a process with a higher pid may have been
    // created after it, and then never got it (see DiesOfFirstSignal).
    private int _firstSignal;
    private long? _firstSignalCursor;

    // Processes the last read found but could not hold, for want of a descriptor for their pidfd: signaled by pid, on
    // the word of a read made a moment before (and, once stopped, a process cannot exit, so its pid cannot be reused).
    // Forgotten at the next read.
    private readonly HashSet<int> _byPid = [];

    /// <summary>
    /// The tree of a run: its leader, the leader's process group and their descendants, plus, when the run is contained,
    /// every process <paramref name="containment"/> knows to be the run's and their descendants.
    /// </summary>
    public ProcessTree(ChildProcess leader, IContainment? containment)
        : this(leader.Pid, leader, leader.Pid, command: leader.Pid, includeRootDescendants: true)
    {
        _containment = containment;
        _lastLive = [leader.Pid];
        _quietMark = PidCursor.Exists ? leader.Pid : null;
    }

    // A null leader means the root is this process.
    private ProcessTree(int rootPid, ChildProcess? leader, int group, int command, bool includeRootDescendants)
    {
        DescriptorReserve.Fill();
        _rootPid = rootPid;
        _leader = leader;
        _group = group;
        _command = command;
        _includeRootDescendants = includeRootDescendants;
    }

    /// <summary>
    /// What this process started: its <paramref name="command"/>, the other members of process group
    /// <paramref name="group"/> (null for none) and, with <paramref name="descendants"/>, every descendant (a child
    /// subreaper gets orphans back, so they stay descendants). This process itself is never signaled; the command and
    /// the group are the caller's to signal (see <see cref="Signal"/>).
    /// </summary>
    public static ProcessTree OfThisProcess(int command, int? group, bool descendants) =>
        new(Environment.ProcessId, leader: null, group ?? NoGroup, command, includeRootDescendants: descendants);

    /// <summary>The process list as it was last read (zombies included), or null before.</summary>
    public ProcessTable? LastTable { get; private set; }

    /// <summary>How many distinct processes the tree has reached so far, its leader not counted.</summary>
    public int ReachedCount => _descendants.Count;

    /// <summary>
    /// The first signal, and every forwarded one: <paramref name="signal"/>, then SIGCONT so that stopped processes act on
    /// it, to the leader and its process group, and to each process of the tree outside the group that nothing in the tree
    /// supervises (see the remarks of <see cref="ProcessTree"/>). A tree of this process leaves its command and its group
    /// to the caller, which signals them as GNU timeout does. Every process found is held for <see cref="Kill"/>; nothing
    /// is stopped, so when the process list cannot be read (no descriptor left) only the direct signals are missed.
    /// </summary>
    public void Signal(int signal) => SignalAll([(this, signal)]);

    /// <summary>
    /// <see cref="Signal"/> for many trees at once, with one read of the process list per round for all of them: a wave
    /// of runs timing out together costs one sweep, not one per run.
    /// </summary>
    public static void SignalAll(IReadOnlyList<(ProcessTree Tree, int Signal)> requests)
    {
        var searches = requests.Select(request => new Search(request.Tree, found: [])).ToList();
        try
        {
            Find(searches, freeze: false);
        }
        catch (Exception exception) when (exception is IOException or OutOfMemoryException)
        {
            searches.ForEach(search => search.Result = []);
        }
        // Read before sending: a process with a higher pid may have been created after its tree's signal went out. One
        // created before it, in between, got the signal; it is sent again only if it outlived it, just before SIGKILL.
        var cursor = PidCursor.Read();
        for (var i = 0; i < requests.Count; i++)
        {
            var (tree, signal) = requests[i];
            var live = searches[i].Result;
            var unsupervised = live.Count == 0 ? [] : tree.LastTable!.Unsupervised(live, tree._group).Where(pid => pid != tree._command).ToList();
            tree.Send(unsupervised, signal);
            if (signal is not (Signals.Kill or Signals.Continue)) tree.Send(unsupervised, Signals.Continue);
        }
        foreach (var (tree, signal) in requests)
        {
            if (tree._firstSignalCursor is not null || cursor is null) continue;
            tree._firstSignal = signal;
            tree._firstSignalCursor = cursor;
        }
    }

    /// <summary>
    /// Stops every live process of the tree (SIGSTOP), reading the process list again until a round finds nothing new,
    /// so nothing can fork out of reach, then SIGKILLs them and the process group. SIGKILL goes first to the containment's
    /// members at once where it can (cgroup.kill), which no fork can outrun. Returns once the killed processes are gone
    /// (within <see cref="KillSettleBound"/>), with how many of them were not already dying (exiting, or hit by a fatal
    /// signal such as the first one): those are the ones SIGKILL ended, which makes a run
    /// <see cref="RunResult.ForcefullyKilled"/>.
    /// When the process list cannot be read or a process cannot be held part way (no descriptor or memory left), it
    /// kills what it has: every process held or stopped and their process groups; nothing is left stopped. A process
    /// that cannot be held for want of a descriptor is stopped and killed by its pid, just read.
    /// </summary>
    public int Kill() => KillAll([this])[0];

    /// <summary>
    /// <see cref="Kill"/> for many trees at once: each round stops what every tree has, then reads the process list once
    /// for all of them, and one wait covers every victim. Returns, tree by tree, how many processes SIGKILL ended.
    /// </summary>
    public static int[] KillAll(IReadOnlyList<ProcessTree> trees)
    {
        var forcefullyKilled = new int[trees.Count];
        var live = new HashSet<int>[trees.Count];
        var searches = new List<Search>();
        var ended = Ended(trees);
        for (var i = 0; i < trees.Count; i++)
        {
            var tree = trees[i];
            forcefullyKilled[i] = tree._containment?.KillAll() ?? 0;
            var stopped = new HashSet<int>();
            if (ended[i]) live[i] = [];
            else if (tree.Unchanged(stopped) is { } unchanged) live[i] = unchanged;
            else searches.Add(new Search(tree, stopped) { Index = i, TableBefore = tree.LastTable });
        }
        try
        {
            Find(searches, freeze: true);
        }
        catch (Exception exception) when (exception is IOException or OutOfMemoryException)
        {
            foreach (var search in searches) search.Result = search.Tree.WhatIsHeld(search.Found, search.TableBefore);
        }
        foreach (var search in searches) live[search.Index] = search.Result;
        var victims = new List<int>();
        var cursor = PidCursor.Read();
        for (var i = 0; i < trees.Count; i++)
        {
            var tree = trees[i];
            foreach (var pid in live[i])
            {
                var dying = ProcessTable.IsDying(pid) || tree.DiesOfFirstSignal(pid, cursor);
                if (tree.SignalOne(pid, Signals.Kill) && !dying) forcefullyKilled[i]++;
            }
            if (tree._leader is not null) Libc.kill(-tree._group, Signals.Kill);
            victims.AddRange(live[i].Select(tree.PidfdOf));
        }
        PidfdEnd.WaitAll(victims, KillSettleBound);
        return forcefullyKilled;
    }

    // A process created after the first signal never got it: a shell that had blocked signals around a fork when the
    // group's TERM came starts its child after it (dash does: 1 run in 2,000 of `sh -c 'echo x; sleep 30'` on a loaded
    // machine left a `sleep` that no signal had reached). It gets the first signal now, just before SIGKILL, so that it
    // counts as forcefully killed only when that signal would not have ended it either (a handler, or ignored), as for
    // any other process of the tree. True when it is dying of it.
    private bool DiesOfFirstSignal(int pid, long? cursor) =>
        BornAfterFirstSignal(pid, cursor) && _firstSignal is not (0 or Signals.Kill or Signals.Continue)
        && SignalOne(pid, _firstSignal) && ProcessTable.IsDying(pid);

    // Pids are handed out in increasing order and wrap at pid_max (32768 by default, a few seconds of a busy CI's forks):
    // once the cursor has wrapped since the first signal, the pids below it are new too (1 run in 20 of a test was
    // counted as forcefully killed across a wrap). Older processes above the first signal's cursor outlived that signal
    // if they are not dying: they get it again, just before SIGKILL.
    private bool BornAfterFirstSignal(int pid, long? cursor) =>
        _firstSignalCursor is { } first && (pid > first || (cursor is { } now && now < first && pid <= now));

    /// <summary>Sends <paramref name="signal"/> to the leader only.</summary>
    public void SignalLeader(int signal) => _leader?.Signal(signal);

    // The fastest path, for trees whose processes have all ended (the usual end of a timeout: the first signal did its
    // work). Such a tree needs no stop-and-read rounds: what its processes created before the last complete read was
    // held then, and has ended too; what they created since has a pid above that read's cursor mark, so one read of just
    // those pids (one for every such tree, usually a handful of entries) shows whether any of it is still alive and the
    // tree's (in its process group, or under a live descendant), which sends that tree the usual way. Held processes
    // already exiting can fork no more but still have their children until they have ended: they are waited for
    // (briefly) first. Not under a subreaper containment, whose orphans come back to this process.
    private static bool[] Ended(IReadOnlyList<ProcessTree> trees)
    {
        var ended = new bool[trees.Count];
        var pending = trees.Select(tree => tree.Ending()).ToArray();
        var exiting = pending.OfType<List<int>>().SelectMany(pidfds => pidfds).ToList();
        if (exiting.Count > 0) PidfdEnd.WaitAll(exiting, ExitingBound);
        var cursor = PidCursor.Read();
        var candidates = Enumerable.Range(0, trees.Count)
            .Where(i => pending[i] is { } pidfds && pidfds.All(PidfdEnd.HasEnded) && trees[i]._quietMark is { } mark && cursor >= mark).ToList();
        if (candidates.Count == 0) return ended;
        ProcessTable table;
        try
        {
            var lowest = (int)candidates.Min(i => trees[i]._quietMark!.Value) + 1;
            table = DescriptorReserve.Retry(() => ProcessTable.Read(lowest));
        }
        catch (IOException)
        {
            return ended;
        }
        foreach (var i in candidates)
        {
            var tree = trees[i];
            ended[i] = table.LiveTree(tree._descendants.Keys.Prepend(tree._rootPid), tree._group).Count == 0;
        }
        return ended;
    }

    // The pidfds of the leader and of the held processes that are still exiting, or null when one of them is neither
    // ended nor exiting (or the tree is not a run's, or its orphans come back to this process).
    private List<int>? Ending()
    {
        if (_leader is null || _byPid.Count > 0 || _containment is SubreaperContainment) return null;
        var exiting = new List<int>();
        foreach (var pid in _descendants.Keys.Prepend(_rootPid))
        {
            var pidfd = PidfdOf(pid);
            if (PidfdEnd.HasEnded(pidfd)) continue;
            if (!ProcessTable.IsExiting(pid)) return null;
            exiting.Add(pidfd);
        }
        return exiting;
    }

    // The fast path: when the pid cursor shows that nothing was created since the last complete read, the tree is what
    // that read found, less what has ended. Those are stopped (a stopped process cannot fork) before the cursor is
    // checked, so that nothing can be created unseen between the check and the signal; and stopped, not killed, so that
    // their state is still theirs when the kill looks at it.
    private HashSet<int>? Unchanged(HashSet<int> stopped)
    {
        if (_quietMark is not { } mark || _byPid.Count > 0) return null;
        var alive = _lastLive.Where(pid => !PidfdEnd.HasEnded(PidfdOf(pid))).ToHashSet();
        foreach (var pid in alive)
            if (SignalOne(pid, Signals.Stop)) stopped.Add(pid);
        if (PidCursor.Read() != mark) return null;
        _lastLive = alive;
        return alive;
    }

    // The kill could not finish its read (no descriptor or memory left): what it has is every process it stopped or
    // holds; the process groups of what it stopped are killed as well.
    private HashSet<int> WhatIsHeld(HashSet<int> stopped, ProcessTable? tableBefore)
    {
        HashSet<int> held = [.. stopped, .. _descendants.Keys];
        if (_leader is not null) held.Add(_rootPid);
        if (!ReferenceEquals(LastTable, tableBefore)) KillGroupsOf(stopped, LastTable!);
        return held;
    }

    // Reads the process list until a read is complete for every search, holding every live process of each tree it
    // finds (into the search's Found); with freeze, stopping each as well, so that nothing can fork out of reach. Without
    // it (a survey), a round that finds nothing new may still miss what was forked during the read: those descend from
    // what was found. One read per round serves every search still going.
    private static void Find(List<Search> searches, bool freeze)
    {
        foreach (var search in searches) search.Tree._byPid.Clear();
        var cursor = PidCursor.Read();
        var pending = new List<Search>(searches);
        for (var round = 0; pending.Count > 0 && round < (freeze ? MaxFreezeRounds : MaxSurveyRounds); round++)
        {
            // A run's tree was all created after its leader (this process's own tree, for the CLI, may include older
            // members of its process group): the read skips every pid older than the oldest leader.
            var windows = pending.Select(search => search.Tree.Window(cursor)).ToList();
            var lowest = windows.Contains(null) ? null : windows.Min();
            ProcessTable table;
            try
            {
                table = DescriptorReserve.Retry(() => ProcessTable.Read(lowest));
            }
            catch (IOException) when (!freeze && round > 0)
            {
                // Out of descriptors after a read that worked: a survey makes do with what that one found.
                break;
            }
            foreach (var search in pending) search.Explore(table, freeze);
            // Complete when nothing at all was created between the cursor read before the list was read and now, or when
            // this round found nothing new: with every process found stopped, nothing can have been created unseen. A
            // window is only good if the cursor did not wrap during the read (new processes would then have small pids).
            // The mark the fast paths trust is the cursor before the read unless the read was quiet: a survey stops
            // nothing, so what a found process forked during the read is unseen, and its pid lies above that cursor
            // (marked with the cursor after, such a process, ignoring TERM, was left to the group's SIGKILL and not
            // counted as forcefully killed: 1 to 3 runs in 100 of a test, under load).
            var after = PidCursor.Read();
            var windowHeld = lowest is null || (after is not null && after >= cursor);
            var quiet = after is not null && after == cursor;
            var mark = quiet ? after : cursor;
            pending.RemoveAll(search => windowHeld && (quiet || search.FreshCount == 0) && search.Complete(mark));
            cursor = after;
        }
        foreach (var search in pending) search.GiveUp(freeze);
    }

    private int? Window(long? cursor) => _leader is null ? null : PidWindow.After(_rootPid, _created, cursor);

    private HashSet<int> Remember(HashSet<int> live, long? mark)
    {
        _lastLive = live;
        _quietMark = mark;
        return live;
    }

    // The process groups of what a kill stopped (held by their stopped members, so the ids cannot have been reused),
    // except this process's own.
    private static void KillGroupsOf(HashSet<int> stopped, ProcessTable table)
    {
        var own = Libc.getpgrp();
        foreach (var group in stopped.Select(table.GroupOf).OfType<int>().Distinct())
            if (group != own) Libc.kill(-group, Signals.Kill);
    }

    private int PidfdOf(int pid) =>
        pid == _rootPid && _leader is not null ? _leader.Pidfd : _descendants.TryGetValue(pid, out var held) ? held.Pidfd : -1;

    private void Send(List<int> unsupervised, int signal)
    {
        if (_leader is not null)
        {
            _leader.Signal(signal);
            Libc.kill(-_group, signal);
        }
        foreach (var pid in unsupervised) SignalOne(pid, signal);
    }

    // Holds pid, found in table, unless it is held already; false when it is gone. Out of descriptors, it is signaled
    // by pid until the next read.
    private bool Hold(int pid, ProcessTable table)
    {
        if ((pid == _rootPid && _leader is not null) || _descendants.ContainsKey(pid)) return true;
        if (HeldProcess.TryHold(pid, table, out var held))
        {
            _descendants[pid] = held;
            return true;
        }
        if (!Libc.IsResourceShortage(Libc.Errno)) return false;
        _byPid.Add(pid);
        return true;
    }

    // Only a held process is signaled (or the leader, or one the last read could not hold); true when it was delivered.
    private bool SignalOne(int pid, int signal)
    {
        if (pid == _rootPid && _leader is not null) return _leader.Signal(signal);
        if (_descendants.TryGetValue(pid, out var held)) return held.Signal(signal);
        return _byPid.Contains(pid) && Libc.kill(pid, signal) == 0;
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

    // One tree's part in a Find: what it has found (and held) so far, and what the last round found live.
    private sealed class Search(ProcessTree tree, HashSet<int> found)
    {
        private HashSet<int> _live = found;

        public ProcessTree Tree { get; } = tree;

        public HashSet<int> Found { get; } = found;

        /// <summary>The tree's live processes once the search has ended.</summary>
        public HashSet<int> Result { get; set; } = found;

        public int FreshCount { get; private set; }

        /// <summary>Where the tree stands in the caller's list.</summary>
        public int Index { get; init; }

        /// <summary>The tree's last table before the search, to tell whether the search read a new one.</summary>
        public ProcessTable? TableBefore { get; init; }

        // One round: the tree's live processes in table; those not found before are held (and, with freeze, stopped).
        public void Explore(ProcessTable table, bool freeze)
        {
            var tree = Tree;
            IEnumerable<int> roots = tree._includeRootDescendants ? tree._descendants.Keys.Prepend(tree._rootPid) : tree._descendants.Keys;
            tree.LastTable = table;
            if (tree._containment is not null) roots = roots.Concat(tree._containment.Members(table));
            _live = table.LiveTree(roots, tree._group);
            if (tree._leader is null) _live.Remove(tree._rootPid);
            var fresh = _live.Where(pid => !Found.Contains(pid)).ToList();
            FreshCount = fresh.Count;
            foreach (var pid in fresh)
            {
                if (!tree.Hold(pid, table)) continue;
                if (freeze) tree.SignalOne(pid, Signals.Stop);
                Found.Add(pid);
            }
        }

        public bool Complete(long? mark)
        {
            Result = Tree.Remember(_live, mark);
            return true;
        }

        // The rounds ran out (or a survey ran out of descriptors): a kill takes everything it stopped, a survey what it saw last.
        public void GiveUp(bool freeze)
        {
            Tree.Remember([], null);
            Result = freeze ? Found : _live;
        }
    }
}
