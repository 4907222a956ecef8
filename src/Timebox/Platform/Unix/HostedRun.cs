using System.Runtime.InteropServices;

namespace Timebox.Platform.Unix;

/// <summary>
/// The library's Unix engine as the timebox CLI drives it, and the only door through which the CLI reaches it: the spawn
/// (<see cref="PosixSpawner"/>), an event loop driven by the calling thread, the command's exit (<see cref="ChildProcess"/>),
/// and the termination path every run shares (<see cref="ProcessTree"/>: whom a signal reaches, the sweep of what is
/// left, holding processes so that no recycled pid is signaled). The CLI decides when to act, in GNU timeout's steps;
/// this decides how, so that a fix to termination reaches the library's runs and the CLI alike: the first signal and the
/// kill go through <see cref="ProcessTree.Signal"/> and <see cref="ProcessTree.Kill"/>, as <see cref="UnixRun"/>'s
/// graceful step and kill do. Its
/// vocabulary is <see cref="HostedRunOptions"/> and <see cref="ExitStatus"/>; running a command, the CLI needs no other internal.
/// </summary>
/// <remarks>
/// Unlike a library run, the command does not lead a process group of its own: it joins the host's
/// (<see cref="HostedRunOptions.HostGroup"/>), as GNU timeout's does, so the tree is rooted at this process, which is
/// never signaled itself. Loop thread only (the thread that created it), except <see cref="Post"/>.
/// </remarks>
internal sealed class HostedRun
{
    private readonly EventLoop _loop = EventLoop.OnCurrentThread();
    private readonly HostedRunOptions _options;
    private readonly HashSet<int> _sentToHostGroup = [];
    private ChildProcess? _command;
    private ProcessTree? _tree;

    /// <summary>Makes the calling thread this run's loop thread. It must outlive the command: the parent-death signal fires when it ends.</summary>
    public HostedRun(HostedRunOptions options) => _options = options;

    /// <summary>True once SIGKILL went to the host's process group: the host, a member, is to die of it too, as GNU timeout does.</summary>
    public bool KilledHostGroup { get; private set; }

    /// <summary>How many processes the termination path has reached so far, the command itself not counted.</summary>
    public int ReachedCount => _tree?.ReachedCount ?? 0;

    /// <summary>
    /// Starts <paramref name="command"/> as execvp would (its program looked up in this process's PATH, from its current
    /// directory, both taken byte for byte, with its environment as it came; a file in no format exec knows run as
    /// /bin/sh FILE ARGS..., as GNU timeout's execvp does) with <paramref name="stdout"/> and <paramref name="stderr"/> as
    /// its 1 and 2 (-1: this process's own), the command's <see cref="Command.InheritedDescriptors"/> at their own
    /// numbers, every other descriptor closed.
    /// </summary>
    /// <exception cref="CommandStartException">It could not be started.</exception>
    public void Start(Command command, int stdout, int stderr)
    {
        var spawnOptions = WithOpenFilesLimit(new SpawnOptions(newProcessGroup: false, _options.ParentDeathSignal, _options.KeepIgnored, _options.SignalMask));
        int pid, pidfd;
        try
        {
            pid = Spawn(command, stdout, stderr, spawnOptions, out pidfd);
        }
        catch (ProgramNotExecutableException exception) when (exception.IsExecFormatError)
        {
            var script = Command.FromBytes("/bin/sh"u8, [FileSystemText.GetBytes(exception.Path), .. command.ArgumentBytes.Select(argument => argument.ToArray())])
                .WithInheritedDescriptors(command.InheritedDescriptors);
            pid = Spawn(script, stdout, stderr, spawnOptions, out pidfd);
        }
        _command = new ChildProcess(pid, pidfd);
        _tree = ProcessTree.OfThisProcess(pid, _options.HostGroup, descendants: _options.WholeTree);
    }

    /// <summary>
    /// True when a command can be given limits other than the host's (<see cref="HostedRunOptions.OpenFilesLimit"/>):
    /// only the native spawn shim sets them before exec.
    /// </summary>
    public static bool CanSetCommandLimits => SpawnShim.Available;

    private SpawnOptions WithOpenFilesLimit(SpawnOptions options)
    {
        const int openFiles = 7; // Linux's RLIMIT_NOFILE
        if (_options.OpenFilesLimit is not { } limit) return options;
        var table = options.Rlimits;
        table[2 * openFiles] = limit.Soft;
        table[(2 * openFiles) + 1] = limit.Hard;
        return options with { RlimitMask = options.RlimitMask | (1u << openFiles), Rlimits = table };
    }

    // The CLI never changes its own environment, so the command gets it as it came (no copy to build), and PATH is read
    // from it as bytes. No working directory: names are looked up from the host's own, read by bytes only if one is relative.
    private static int Spawn(Command command, int stdout, int stderr, in SpawnOptions options, out int pidfd) =>
        PosixSpawner.Spawn(new SpawnRequest(command, ProgramResolver.Resolve(command, SearchPath(), workingDirectory: null),
            workingDirectory: null, environment: null, stdin: -1, stdout, stderr, options), out pidfd);

    // Environment.GetEnvironmentVariable would replace the bytes of a PATH that is not UTF-8.
    private static unsafe string? SearchPath()
    {
        fixed (byte* name = "PATH\0"u8)
        {
            var value = Libc.getenv(name);
            return value is null ? null : FileSystemText.Decode(MemoryMarshal.CreateReadOnlySpanFromNullTerminated(value));
        }
    }

    /// <summary>Calls <paramref name="onExited"/> on the loop once the command has exited (at once if it already has).</summary>
    public void WatchExit(Action onExited) => _loop.WatchExit(_command!, onExited);

    /// <summary>Calls <paramref name="onReadable"/> on the loop whenever <paramref name="fd"/> is readable.</summary>
    public void Watch(int fd, Action onReadable) => _loop.Watch(fd, _ => onReadable());

    public void Unwatch(int fd) => _loop.Unwatch(fd);

    /// <summary>Runs <paramref name="action"/> on the loop once <paramref name="delay"/> has passed (the action checks whether it is still due).</summary>
    public void Schedule(TimeSpan delay, Action action) => _loop.Schedule(delay, action);

    /// <summary>Runs <paramref name="action"/> on the loop soon. Safe from any thread.</summary>
    public void Post(Action action) => _loop.Post(action);

    /// <summary>Drives the loop on this thread until <paramref name="finished"/> says so after an event.</summary>
    public void RunUntil(Func<bool> finished) => _loop.RunUntil(finished);

    /// <summary>
    /// GNU timeout's cleanup() sends: <paramref name="signal"/> to the command and to the host's process group (unless
    /// --foreground), as GNU's does, and, unless only the group is to be reached, to the descendants outside the group
    /// that nothing in the tree supervises (see <see cref="ProcessTree.Signal"/>); then SIGCONT, so that stopped processes
    /// act on it. SIGKILL reaches the whole tree, and the group's other members, through <see cref="ProcessTree.Kill"/>: the
    /// only way to kill them without killing this process before it has reported. Returns true when SIGKILL ended a
    /// process that was not already dying of an earlier signal (what makes the run forcefully killed).
    /// </summary>
    public bool Signal(int signal)
    {
        var toGroup = _options.HostGroup is not null;
        if (signal == Signals.Kill)
        {
            // Read before anything is killed: a command already dying of the first signal is not forcefully killed.
            var commandDying = ProcessTable.IsDying(_command!.Pid);
            var forcefullyKilled = (_options.WholeTree || toGroup) && _tree!.Kill() > 0;
            forcefullyKilled |= _command.Signal(signal) && !commandDying;
            if (toGroup) KilledHostGroup = true;
            return forcefullyKilled;
        }
        // The tree first: it reads the process list before the command can die of the signal and orphan its children,
        // which would then look unsupervised.
        if (signal != 0 && _options.WholeTree) _tree!.Signal(signal);
        _command!.Signal(signal);
        if (toGroup && IsCatchable(signal)) SignalHostGroup(signal);
        if (signal == Signals.Continue) return false;
        _command.Signal(Signals.Continue);
        if (toGroup) SignalHostGroup(Signals.Continue);
        return false;
    }

    /// <summary>True when <paramref name="signal"/> went to the host's group, so that its arrival here is our own sending coming back.</summary>
    public bool IsEcho(int signal) => _sentToHostGroup.Contains(signal);

    /// <summary>How the command ended, without reaping it: its pid stays reserved until <see cref="Finish"/>.</summary>
    public ExitStatus ReadExit()
    {
        _loop.UnwatchExit(_command!);
        return _command!.ReadExitStatus();
    }

    /// <summary>Kills whatever the command left behind (unless only the group is reached); true if that ended a process that was not already dying.</summary>
    public bool KillLeftovers() => _options.WholeTree && _tree!.Kill() > 0;

    /// <summary>Reaps every ended child but the command: orphans adopted as subreaper (the host's SIGCHLD).</summary>
    public void ReapAdopted() => ReapChildren(keep: _command?.Pid ?? 0);

    /// <summary>The run is over: reaps the command, then every adopted orphan, and lets go of the processes the tree held.</summary>
    public void Finish()
    {
        _command?.Reap(hostPeakBytes: long.MaxValue);
        if (_options.WholeTree) ReapChildren(keep: 0);
        _tree?.Dispose();
    }

    /// <summary>Sends <paramref name="signal"/> (Linux numbering) to this process itself.</summary>
    public static void SignalSelf(int signal) => Libc.kill(Environment.ProcessId, signal);

    // By pid, one at a time, never waitpid(-1) on its own: only this process's own children are here (the CLI never
    // starts a System.Diagnostics.Process), and the command is kept unreaped so that its pid cannot be reused while signaled.
    private static unsafe void ReapChildren(int keep)
    {
        const int pAll = 0;
        var info = stackalloc byte[128];
        while (true)
        {
            new Span<byte>(info, 128).Clear();
            if (Libc.waitid(pAll, 0, info, Libc.WEXITED | Libc.WNOHANG | Libc.WNOWAIT) != 0) return;
            var pid = *(int*)(info + 16);
            if (pid == 0 || pid == keep) return;
            Libc.waitid(Libc.P_PID, pid, info, Libc.WEXITED | Libc.WNOHANG);
        }
    }

    private static bool IsCatchable(int signal) => signal is not (0 or Signals.Kill or Signals.Stop);

    private void SignalHostGroup(int signal)
    {
        _sentToHostGroup.Add(signal);
        Libc.kill(0, signal);
    }
}
