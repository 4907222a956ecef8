using System.Diagnostics;
using Timebox.Platform.Unix;

namespace Timebox.Cli;

/// <summary>
/// Runs one command the way GNU timeout does, on the library's engine (<see cref="HostedRun"/>), and contains it fully:
/// the command joins timebox's own new process group (so it keeps the terminal when timebox was started from a shell
/// prompt); on timeout, or on a signal timebox receives, the signal goes to the command and to the group, as GNU's does,
/// and, unless --group-only, to descendants outside the group that nothing in the tree supervises (orphans timebox
/// adopted as their subreaper; see <see cref="ProcessTree"/>); after -k, SIGKILL to all of them; once the command has
/// ended after such a signal, whatever it left behind is killed. Everything happens on the main thread, which drives
/// the run's event loop.
/// </summary>
internal sealed class Supervisor
{
    /// <summary>Where the run stands, in the steps of GNU timeout (coreutils src/timeout.c).</summary>
    private enum Phase
    {
        /// <summary>main(): setpgid, install_cleanup (the handlers), then fork and execvp. Signals arriving now wait in the pipe.</summary>
        Starting,

        /// <summary>main(): settimeout, then sigsuspend until waitpid reports the command. Nothing was sent yet.</summary>
        Running,

        /// <summary>cleanup() ran for the timeout or a received signal: it armed -k (once) and sent the signal on. Later signals are passed on too.</summary>
        Signaled,

        /// <summary>cleanup() ran for -k's timer (or the signal was KILL): SIGKILL went out.</summary>
        Killed,

        /// <summary>waitpid returned. timebox only: its relays (--idle-timeout) still copy what is left in the pipes, for up to <see cref="RelayDrain"/>.</summary>
        Draining,

        /// <summary>main() after waitpid: the status is decoded, and timebox exits with it or dies of the command's signal.</summary>
        Finished,
    }

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
    private readonly List<OutputRelay> _relays = [];
    private readonly long _startTimestamp = Stopwatch.GetTimestamp();
    private readonly DateTimeOffset _startedAt = DateTimeOffset.UtcNow;
    private readonly HostedRun _run;
    private long _lastOutputTimestamp;
    private SignalPipe? _signals;
    private Phase _phase = Phase.Starting;

    // Why cleanup() ran, once it has: the timeout (deadline or idle), which no later signal changes, or a received
    // signal (Canceled), which a later timeout does.
    private Outcome? _cause;
    private ExitStatus _status;
    private bool _forcefullyKilled;

    public Supervisor(CliOptions options, InheritedSignals inherited)
    {
        _options = options;
        _inherited = inherited;
        // Signals the caller ignored stay ignored in the command (SIGPIPE above all), except those GNU handles or resets;
        // the command inherits the caller's blocked signals, but never a blocked SIGALRM or SIGCHLD (as GNU).
        var reset = InheritedSignals.Bit(SignalChild) | InheritedSignals.Bit(SignalTtyIn) | InheritedSignals.Bit(SignalTtyOut)
            | InheritedSignals.Bit(Signals.Alarm) | (options.Signal > 0 ? InheritedSignals.Bit(options.Signal) : 0);
        var mask = inherited.Blocked & ~(InheritedSignals.Bit(Signals.Alarm) | InheritedSignals.Bit(SignalChild));
        // Unless --foreground, Run makes this process lead a new group (a session leader, which cannot, leads one already).
        int? group = options.Foreground ? null : Environment.ProcessId;
        _run = new HostedRun(new HostedRunOptions(group, WholeTree: !options.GroupOnly, options.Signal, inherited.Ignored & ~reset, mask, OpenFilesLimit.Original));
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

        var startError = Start();
        if (startError is not null) return SupervisorResult.StartFailed(startError, _startedAt, Stopwatch.GetElapsedTime(_startTimestamp));
        _phase = Phase.Running;
        _run.Post(Begin);
        _run.RunUntil(() => _phase == Phase.Finished);
        return Result();
    }

    private static bool IsCatchable(int signal) => signal is not (0 or Signals.Kill or Signals.Stop);

    private StartFailure? Start()
    {
        // execvp("") fails with ENOENT; a Command cannot even name it.
        if (_options.Command[0].Length == 0) return StartFailure.ProgramNotFound;
        int stdoutWrite = -1, stderrWrite = -1;
        try
        {
            if (_options.IdleTimeout is not null)
            {
                stdoutWrite = StartRelay(target: 1);
                stderrWrite = StartRelay(target: 2);
            }
            _run.Start(CliCommand.Of(_options.Command), stdoutWrite, stderrWrite);
            return null;
        }
        catch (CommandStartException exception)
        {
            return StartFailure.From(exception);
        }
        catch (IOException exception)
        {
            // No pipe for a relay (the descriptor limit): timebox's own failure, not the command's (GNU's status for its own errors).
            return new StartFailure(exception.Message, NotFound: false, OwnFailure: true);
        }
        finally
        {
            if (stdoutWrite >= 0) Descriptors.Close(stdoutWrite);
            if (stderrWrite >= 0) Descriptors.Close(stderrWrite);
        }
    }

    private int StartRelay(int target)
    {
        var (read, write) = Descriptors.CreatePipe();
        _relays.Add(new OutputRelay(read, target, () => Volatile.Write(ref _lastOutputTimestamp, Stopwatch.GetTimestamp()), () => _run.Post(TryFinish)));
        return write;
    }

    // main(): settimeout, and the wait for the command or a signal.
    private void Begin()
    {
        _run.Watch(_signals!.ReadFd, OnSignalsArrived);
        _run.WatchExit(OnCommandExited);
        if (_options.Duration is { } duration) _run.Schedule(Remaining(duration, _startTimestamp), () => OnTimeout(Outcome.TimedOut));
        if (_options.IdleTimeout is { } idle)
        {
            Volatile.Write(ref _lastOutputTimestamp, _startTimestamp);
            _run.Schedule(Remaining(idle, _startTimestamp), () => OnIdleCheck(idle));
        }
    }

    private static TimeSpan Remaining(TimeSpan delay, long since)
    {
        var remaining = delay - Stopwatch.GetElapsedTime(since);
        return remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero;
    }

    private bool CommandEnded => _phase >= Phase.Draining;

    private bool TimedOut => _cause is Outcome.TimedOut or Outcome.IdleTimedOut;

    // cleanup(SIGALRM): the timeout, once; a signal received earlier does not stop it, as in GNU.
    private void OnTimeout(Outcome cause)
    {
        if (CommandEnded || TimedOut) return;
        _cause = cause;
        Cleanup(_options.Signal);
    }

    private void OnIdleCheck(TimeSpan idle)
    {
        if (CommandEnded || TimedOut) return;
        var since = Volatile.Read(ref _lastOutputTimestamp);
        if (Stopwatch.GetElapsedTime(since) < idle) _run.Schedule(Remaining(idle, since), () => OnIdleCheck(idle));
        else OnTimeout(Outcome.IdleTimedOut);
    }

    private void OnSignalsArrived()
    {
        foreach (var signal in _signals!.TakeArrived())
        {
            if (signal == Signals.Alarm) OnTimeout(Outcome.TimedOut);
            else if (signal == SignalChild) _run.ReapAdopted();
            // A signal we sent to our own group comes back to us: ignore it from then on, as GNU does.
            else if (!CommandEnded && !_run.IsEcho(signal))
            {
                _cause ??= Outcome.Canceled;
                Cleanup(signal);
            }
        }
    }

    /// <summary>GNU timeout's cleanup(): arm -k on the first signal, then send the signal on (see <see cref="HostedRun.Signal"/>).</summary>
    private void Cleanup(int signal)
    {
        if (_phase == Phase.Running && _options.KillAfter is { } killAfter)
        {
            _run.Schedule(killAfter, () =>
            {
                if (!CommandEnded) Cleanup(Signals.Kill);
            });
        }
        if (signal == Signals.Kill) _phase = Phase.Killed;
        else if (_phase == Phase.Running) _phase = Phase.Signaled;
        if (_options.Verbose) Messages.Error($"sending signal {Signals.NameOf(signal)} to command {Quoting.Quote(_options.Command[0])}");
        if (_run.Signal(signal)) _forcefullyKilled = true;
    }

    // main(): waitpid has returned.
    private void OnCommandExited()
    {
        if (CommandEnded) return;
        _status = _run.ReadExit();
        // Whatever the command left behind after a timeout or a forwarded signal dies with it.
        if (_cause is not null && _run.KillLeftovers()) _forcefullyKilled = true;
        _phase = Phase.Draining;
        if (_relays.Count > 0) _run.Schedule(RelayDrain, Finish);
        TryFinish();
    }

    private void TryFinish()
    {
        if (CommandEnded && _relays.All(relay => relay.Ended)) Finish();
    }

    private void Finish()
    {
        if (_phase == Phase.Finished) return;
        _phase = Phase.Finished;
        _run.Unwatch(_signals!.ReadFd);
        _run.Finish();
    }

    private SupervisorResult Result()
    {
        var outcome = _cause ?? (_status.Signal is not null ? Outcome.Signaled : Outcome.Exited);
        // The command itself counts when it was signaled; the tree counts every other process it reached.
        var signaled = _cause is not null ? _run.ReachedCount + 1 : 0;
        return new SupervisorResult(_status, outcome, _forcefullyKilled, _run.KilledHostGroup, signaled,
            _startedAt, Stopwatch.GetElapsedTime(_startTimestamp), HostProcess.ChildrenUsage(), StartError: null);
    }
}
