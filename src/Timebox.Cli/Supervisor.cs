using System.Diagnostics;
using Timebox.Platform.Unix;

namespace Timebox.Cli;

/// <summary>
/// Runs one command the way GNU timeout does, and contains it fully: the command joins timebox's own new process
/// group (so it keeps the terminal when timebox was started from a shell prompt); on timeout, or on a signal timebox
/// receives, the signal goes to the command and to the group, as GNU's does, and, unless --group-only, to descendants
/// outside the group that nothing in the tree supervises (orphans timebox adopted as their subreaper; see
/// <see cref="ProcessTree"/>); after -k, SIGKILL to all of them; once the command has ended after such a signal,
/// whatever it left behind is killed. Everything happens on the main thread, which drives an event loop of its own.
/// </summary>
internal sealed class Supervisor
{
    // The terminating signals GNU timeout (9.10+) passes on to the command. Left out: the synchronous fault signals
    // (ILL, TRAP, ABRT, BUS, FPE, SEGV, SYS), which the .NET runtime needs for itself, and the real-time signals, one of
    // which it uses to suspend threads.
    private static readonly int[] ForwardedSignals =
        [Signals.Hangup, Signals.Interrupt, Signals.Quit, Signals.Terminate, Signals.Pipe, Signals.User1, Signals.User2,
         StackFault, CpuLimit, FileSizeLimit, VirtualAlarm, Profiling, Poll, Power];
    private const int StackFault = 16, SignalChild = 17, SignalTtyIn = 21, SignalTtyOut = 22, CpuLimit = 24, FileSizeLimit = 25,
        VirtualAlarm = 26, Profiling = 27, Poll = 29, Power = 30;

    // After the command ends, how long relayed output may still arrive from what it left running.
    private static readonly TimeSpan RelayDrain = TimeSpan.FromMilliseconds(500);

    private readonly CliOptions _options;
    private readonly InheritedSignals _inherited;
    private readonly EventLoop _loop = EventLoop.OnCurrentThread();
    private readonly HashSet<int> _sentToOwnGroup = [];
    private readonly List<OutputRelay> _relays = [];
    private readonly long _startTimestamp = Stopwatch.GetTimestamp();
    private readonly DateTimeOffset _startedAt = DateTimeOffset.UtcNow;
    private long _lastOutputTimestamp;
    private SignalPipe? _signals;
    private ProcessTree? _tree;
    private int _pid, _pidfd = -1;
    private bool _timedOut, _idleTimedOut, _signalReceived, _killAfterArmed, _killedOwnGroup, _forced, _childExited, _finished;
    private ExitStatus _status;
    private SupervisorResult? _result;

    public Supervisor(CliOptions options, InheritedSignals inherited)
    {
        _options = options;
        _inherited = inherited;
    }

    /// <summary>
    /// Starts the command on the calling thread, which must outlive it (the main thread: the command's parent-death
    /// signal fires when the thread that spawned it ends), and runs the loop on it until the command has ended.
    /// </summary>
    public SupervisorResult Run()
    {
        if (!_options.Foreground) HostProcess.LeadNewProcessGroup();
        if (!_options.GroupOnly) HostProcess.BecomeChildSubreaper();
        // Handlers first, as GNU does, so that a signal arriving while the command starts is not lost. A signal the
        // caller ignored stays ignored (a background job of a shell ignores INT and QUIT), except the timeout signal.
        // SIGALRM is GNU's timer: sent from outside, it times the command out now. SIGCHLD reaps adopted orphans.
        var handled = ForwardedSignals.Where(signal => !_inherited.IsIgnored(signal)).Append(_options.Signal).Where(IsCatchable).Append(Signals.Alarm);
        if (!_options.GroupOnly) handled = handled.Append(SignalChild);
        _signals = new SignalPipe(handled.Distinct().ToList());
        HostProcess.IgnoreTerminalStops();

        // execvp("") fails with ENOENT; a Command cannot even name it.
        if (_options.Command[0].Length == 0)
        {
            _signals.Dispose();
            return SupervisorResult.StartFailed(StartFailure.ProgramNotFound, _startedAt, Stopwatch.GetElapsedTime(_startTimestamp));
        }
        try
        {
            Spawn();
        }
        catch (CommandStartException exception)
        {
            _signals.Dispose();
            return SupervisorResult.StartFailed(StartFailure.From(exception), _startedAt, Stopwatch.GetElapsedTime(_startTimestamp));
        }
        _tree = ProcessTree.OfThisProcess(_pid, _options.Foreground ? null : HostProcess.ProcessGroup, descendants: !_options.GroupOnly);
        _loop.Post(Begin);
        _loop.RunUntil(() => _result is not null);
        _signals.Dispose();
        return _result!;
    }

    private static bool IsCatchable(int signal) => signal is not (0 or Signals.Kill or Signals.Stop);

    private void Spawn()
    {
        var command = new Command(_options.Command[0], _options.Command.Skip(1));
        var workingDirectory = Environment.CurrentDirectory;
        var pathVariable = Environment.GetEnvironmentVariable("PATH");
        var path = ProgramResolver.Resolve(command, pathVariable, workingDirectory);

        // Signals the caller ignored stay ignored in the command (SIGPIPE above all), except those GNU handles or resets;
        // the command inherits the caller's blocked signals, but never a blocked SIGALRM or SIGCHLD (as GNU).
        var reset = InheritedSignals.Bit(SignalChild) | InheritedSignals.Bit(SignalTtyIn) | InheritedSignals.Bit(SignalTtyOut)
            | InheritedSignals.Bit(Signals.Alarm) | (_options.Signal > 0 ? InheritedSignals.Bit(_options.Signal) : 0);
        var mask = _inherited.Blocked & ~(InheritedSignals.Bit(Signals.Alarm) | InheritedSignals.Bit(SignalChild));
        var spawnOptions = new SpawnOptions(newProcessGroup: false, parentDeathSignal: _options.Signal, _inherited.Ignored & ~reset, mask);

        int stdoutWrite = -1, stderrWrite = -1;
        if (_options.IdleTimeout > 0)
        {
            stdoutWrite = StartRelay(target: 1);
            stderrWrite = StartRelay(target: 2);
        }
        // timebox never changes its own environment, so the command gets it as it came (no copy to build).
        try
        {
            _pid = PosixSpawner.Spawn(command, path, workingDirectory, environment: null, -1, stdoutWrite, stderrWrite, spawnOptions, out _pidfd);
        }
        catch (ProgramNotExecutableException exception) when (exception.IsExecFormatError)
        {
            // execvp runs a file in no format exec knows as a shell script (/bin/sh FILE ARGS...); so does GNU timeout.
            var script = new Command("/bin/sh", [path, .. _options.Command.Skip(1)]);
            _pid = PosixSpawner.Spawn(script, "/bin/sh", workingDirectory, environment: null, -1, stdoutWrite, stderrWrite, spawnOptions, out _pidfd);
        }
        finally
        {
            if (stdoutWrite >= 0) Libc.close(stdoutWrite);
            if (stderrWrite >= 0) Libc.close(stderrWrite);
        }
    }

    private unsafe int StartRelay(int target)
    {
        var fds = stackalloc int[2];
        if (Libc.pipe2(fds, Libc.O_CLOEXEC) != 0) throw new CommandStartException(new Command(_options.Command[0]), $"pipe2 failed with errno {Libc.Errno}");
        _relays.Add(new OutputRelay(fds[0], target, () => Volatile.Write(ref _lastOutputTimestamp, Stopwatch.GetTimestamp()), () => _loop.Post(TryFinish)));
        return fds[1];
    }

    private void Begin()
    {
        _loop.Watch(_signals!.ReadFd, _ => OnSignalsArrived());
        if (_pidfd >= 0) _loop.Watch(_pidfd, _ => OnChildExited());
        else OnChildExited();
        if (_options.Duration > 0 && DurationParser.ToDelay(_options.Duration) is { } delay)
            _loop.Schedule(Remaining(delay, _startTimestamp), OnDeadline);
        if (_options.IdleTimeout > 0 && DurationParser.ToDelay(_options.IdleTimeout) is { } idle)
        {
            Volatile.Write(ref _lastOutputTimestamp, _startTimestamp);
            _loop.Schedule(Remaining(idle, _startTimestamp), () => OnIdleCheck(idle));
        }
    }

    private static TimeSpan Remaining(TimeSpan delay, long since)
    {
        var remaining = delay - Stopwatch.GetElapsedTime(since);
        return remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero;
    }

    private void OnDeadline()
    {
        if (_childExited || _timedOut) return;
        _timedOut = true;
        Send(_options.Signal);
    }

    private void OnIdleCheck(TimeSpan idle)
    {
        if (_childExited || _timedOut) return;
        var since = Volatile.Read(ref _lastOutputTimestamp);
        if (Stopwatch.GetElapsedTime(since) < idle)
        {
            _loop.Schedule(Remaining(idle, since), () => OnIdleCheck(idle));
            return;
        }
        _timedOut = _idleTimedOut = true;
        Send(_options.Signal);
    }

    private void OnSignalsArrived()
    {
        foreach (var signal in _signals!.TakeArrived())
        {
            if (signal == Signals.Alarm) OnDeadline();
            else if (signal == SignalChild) HostProcess.ReapAdopted(keep: _pid);
            // A signal we sent to our own group comes back to us: ignore it from then on, as GNU does.
            else if (!_childExited && !_sentToOwnGroup.Contains(signal))
            {
                _signalReceived = true;
                Send(signal);
            }
        }
    }

    /// <summary>
    /// GNU timeout's cleanup(): arm -k on the first signal, then signal the command and its group; the tree adds the
    /// descendants nothing supervises. SIGKILL reaches the whole tree.
    /// </summary>
    private void Send(int signal)
    {
        if (_options.KillAfter > 0 && !_killAfterArmed && DurationParser.ToDelay(_options.KillAfter) is { } killAfter)
        {
            _killAfterArmed = true;
            _loop.Schedule(killAfter, () =>
            {
                if (!_childExited) Send(Signals.Kill);
            });
        }
        if (_options.Verbose) Messages.Error($"sending signal {Signals.NameOf(signal)} to command {Quoting.Quote(_options.Command[0])}");

        var toGroup = !_options.Foreground;
        if (signal == Signals.Kill)
        {
            // Read before anything is killed: a command already dying of the first signal is not forced.
            var commandDying = ProcessTable.IsDying(_pid);
            // The tree never includes timebox itself: the only way to deliver SIGKILL to the group without dying of it.
            if (!_options.GroupOnly || toGroup) _forced |= _tree!.Kill() > 0;
            _forced |= Libc.PidfdSendSignal(_pidfd, signal) == 0 && !commandDying;
            if (toGroup) _killedOwnGroup = true;
            return;
        }
        // The tree first: it reads the process list before the command can die of the signal and orphan its children,
        // which would then look unsupervised.
        if (signal != 0 && !_options.GroupOnly) _tree!.Signal(signal);
        Libc.PidfdSendSignal(_pidfd, signal);
        if (toGroup && IsCatchable(signal)) SendToOwnGroup(signal);
        if (signal != Signals.Continue)
        {
            Libc.PidfdSendSignal(_pidfd, Signals.Continue);
            if (toGroup) SendToOwnGroup(Signals.Continue);
        }
    }

    private void SendToOwnGroup(int signal)
    {
        _sentToOwnGroup.Add(signal);
        Libc.kill(0, signal);
    }

    private void OnChildExited()
    {
        if (_childExited) return;
        _childExited = true;
        if (_pidfd >= 0)
        {
            _loop.Unwatch(_pidfd);
            _status = ExitStatus.Read(_pidfd);
        }
        // Whatever the command left behind after a timeout or a forwarded signal dies with it.
        if ((_timedOut || _signalReceived) && !_options.GroupOnly && _tree!.Kill() > 0) _forced = true;
        if (_relays.Count > 0) _loop.Schedule(RelayDrain, Finish);
        TryFinish();
    }

    private void TryFinish()
    {
        if (_childExited && _relays.All(relay => relay.Ended)) Finish();
    }

    private void Finish()
    {
        if (_finished) return;
        _finished = true;
        _loop.Unwatch(_signals!.ReadFd);
        if (_pidfd >= 0) ExitStatus.Reap(_pidfd);
        if (!_options.GroupOnly) HostProcess.ReapAdopted(keep: 0);
        var usage = HostProcess.ChildrenUsage();
        // The command itself counts when it was signalled; the tree counts every other process it reached.
        var signalled = _timedOut || _signalReceived ? _tree!.ReachedCount + 1 : 0;
        _tree!.Dispose();
        _result = new SupervisorResult(_status, _timedOut, _idleTimedOut, _signalReceived, _forced, _killedOwnGroup, signalled,
            _startedAt, Stopwatch.GetElapsedTime(_startTimestamp), usage, StartError: null);
    }
}
