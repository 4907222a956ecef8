using System.Diagnostics;
using System.IO.Pipes;
using Microsoft.Win32.SafeHandles;
using Timebox.Execution;
using Timebox.Output;

namespace Timebox.Platform.Unix;

/// <summary>
/// One run on Linux or macOS: a state machine driven only by the <see cref="EventLoop"/> thread (leader exit through its
/// pidfd or kqueue, output pipes, deadline, idle, grace and drain timers), so it needs no locks and no thread of its own.
/// </summary>
/// <remarks>
/// Phases: Running → (leader exits) Draining → Finished; or Running → (deadline / idle / limit / cancel) Graceful → Killing → Finished.
/// The leader is reaped only in <see cref="Finish"/>, after every signal to its process group has been sent, so the
/// group id can never be a recycled pid when we signal it.
/// </remarks>
internal sealed class UnixRun : IRunControl
{
    private enum Phase { Running, Draining, Graceful, Killing, Finished }

    // After SIGKILL the pipes close as soon as the killed writers are gone; this bounds the wait for a writer
    // that escaped the tree (another session whose parent already died) and still holds them, and for a slow sink.
    private static readonly TimeSpan PostKillDrain = TimeSpan.FromMilliseconds(100);

    // Once the pipes are closed, how long streams and callbacks get to take what was already read: long enough for a
    // thread pool busy elsewhere, short enough that a sink blocked for good cannot hold the call.
    private static readonly TimeSpan SinkBound = TimeSpan.FromSeconds(1);

    private readonly Command _command;
    private readonly EventLoop _loop;
    private readonly TaskCompletionSource<RunResult> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly long _startTimestamp;
    private readonly ProcessTree _tree;
    private readonly ChildProcess _leader;
    private readonly OutputRoute? _stdout;
    private readonly OutputRoute? _stderr;
    private readonly OutputRoute[] _routes;
    private readonly IdleClock? _idleClock;
    private readonly RunConfinement _confinement;
    private long _sequence;
    private int _openFeeders;
    private Phase _phase = Phase.Running;
    private Outcome? _endReason;
    private bool _leaderExited, _forced, _outputIncomplete, _pipesClosed, _feedersAbandoned;
    private int? _exitCode, _signal;
    private LoopTimer? _deadlineTimer, _phaseTimer, _idleTimer;
    private CancellationTokenRegistration _cancellation;
    private Exception? _outputFailure;

    private UnixRun(Command command, EventLoop loop, int pid, int pidfd, RunConfinement confinement, long startTimestamp, RedirectionPlan plan,
        IReadOnlyList<IOutputSink> stdoutSinks, IReadOnlyList<IOutputSink> stderrSinks)
    {
        _command = command;
        _loop = loop;
        ProcessId = pid;
        _leader = new ChildProcess(pid, pidfd);
        _confinement = confinement;
        _tree = new ProcessTree(_leader, confinement.Containment);
        _startTimestamp = startTimestamp;
        StartedAt = DateTimeOffset.UtcNow;
        _idleClock = command.IdleTimeout is null ? null : new IdleClock(command.IdleProgress);
        _stdout = Route(command.Stdout, OutputSource.Stdout, RedirectionPlan.TakeReadEnd(ref plan.StdoutParent), stdoutSinks);
        _stderr = Route(command.Stderr, OutputSource.Stderr, RedirectionPlan.TakeReadEnd(ref plan.StderrParent), stderrSinks);
        _routes = new[] { _stdout, _stderr }.OfType<OutputRoute>().ToArray();
        PipedOutputs = _routes.Select(r => r.Claim).OfType<ConsumerClaim>().ToArray();
        StandardOutput = _stdout?.Claim is { } stdoutClaim ? new QueueReadStream(stdoutClaim) : null;
        StandardError = _stderr?.Claim is { } stderrClaim ? new QueueReadStream(stderrClaim) : null;
    }

    public int ProcessId { get; }

    public DateTimeOffset StartedAt { get; }

    public Task<RunResult> Completion => _completion.Task;

    public Stream? StandardInput { get; private set; }

    public Stream? StandardOutput { get; }

    public Stream? StandardError { get; }

    public IReadOnlyList<ConsumerClaim> PipedOutputs { get; }

    /// <summary>Starts the command; its run is driven by <paramref name="loop"/> (the shared loop, or the calling thread's for a blocking run).</summary>
    public static UnixRun Start(Command command, EventLoop loop, CancellationToken cancellationToken)
    {
        var workingDirectory = CheckWorkingDirectory(command);
        CheckSpillDirectory(command);
        var environment = PosixSpawner.BuildEnvironment(command, out var pathVariable);
        var path = ProgramResolver.Resolve(command, pathVariable, workingDirectory);
        var stdoutSinks = OutputRoute.OpenSinks(command, command.Stdout, OutputSource.Stdout);
        var stderrSinks = command.MergeStderrIntoStdout ? [] : OutputRoute.OpenSinks(command, command.Stderr, OutputSource.Stderr);

        using var plan = new RedirectionPlan(command);
        var startTimestamp = Stopwatch.GetTimestamp();
        var pid = RunConfinement.Spawn(command, path, workingDirectory, environment, plan.ChildStdin, plan.ChildStdout, plan.ChildStderr, out var pidfd, out var confinement);
        plan.CloseChildEnds();

        var run = new UnixRun(command, loop, pid, pidfd, confinement, startTimestamp, plan, stdoutSinks, stderrSinks);
        run.ConnectStdin(plan);
        run.StartFeeders();
        if (loop.IsLoopThread) run.Begin();
        else loop.Post(run.Begin);
        if (cancellationToken.CanBeCanceled)
            run._cancellation = cancellationToken.UnsafeRegister(static state => ((UnixRun)state!).Terminate(false), run);
        return run;
    }

    public void Signal(int signal, bool entireGroup) => _loop.Post(() =>
    {
        if (_phase == Phase.Finished) return;
        if (entireGroup) Libc.kill(-ProcessId, signal);
        else _tree.SignalLeader(signal);
    });

    public void Terminate(bool immediately) => _loop.Post(() =>
    {
        switch (_phase)
        {
            case Phase.Running:
                BeginTermination(Outcome.Canceled, immediately);
                break;
            case Phase.Graceful when immediately:
                KillAll();
                break;
            case Phase.Draining:
                OnDrainExpired();
                break;
        }
    });

    private static string CheckWorkingDirectory(Command command)
    {
        if (command.WorkingDirectory is not { } directory) return Environment.CurrentDirectory;
        var full = Path.GetFullPath(directory);
        if (File.Exists(full)) throw new WorkingDirectoryException(command, directory, "is not a directory");
        if (!Directory.Exists(full)) throw new WorkingDirectoryException(command, directory, "does not exist");
        return full;
    }

    private static void CheckSpillDirectory(Command command)
    {
        if (command.SpillDirectory is { } directory && !Directory.Exists(directory))
            throw new OutputTargetException(command, directory, new DirectoryNotFoundException($"The spill directory '{directory}' does not exist."));
    }

    private OutputRoute? Route(OutputTarget target, OutputSource source, int fd, IReadOnlyList<IOutputSink> sinks) =>
        fd < 0 ? null : OutputRoute.Create(_command, target, source, fd, sinks, _idleClock, () => ++_sequence, () => _loop.Post(ResumePumps),
            closed => _loop.Post(() => OnStreamClosed(closed)));

    private void ConnectStdin(RedirectionPlan plan)
    {
        if (plan.StdinParent < 0) return;
        var stdin = new AnonymousPipeClientStream(PipeDirection.Out, new SafePipeHandle(plan.StdinParent, ownsHandle: true));
        plan.StdinParent = -1;
        if (_command.Stdin.Kind == StdinSource.SourceKind.Pipe) StandardInput = stdin;
        else _ = FeedStdinAsync(stdin);
    }

    private async Task FeedStdinAsync(PipeStream stdin)
    {
        await using (stdin.ConfigureAwait(false))
        {
            try
            {
                if (_command.Stdin.Kind == StdinSource.SourceKind.Bytes) await stdin.WriteAsync(_command.Stdin.Bytes).ConfigureAwait(false);
                else await _command.Stdin.Stream!.CopyToAsync(stdin).ConfigureAwait(false);
            }
            catch (IOException)
            {
                // The program closed its stdin (or ended) before reading everything: normal, as in Python's communicate().
            }
        }
    }

    // Counted before Begin runs on the loop, so that output cannot be seen as ended while a feeder still delivers.
    private void StartFeeders()
    {
        foreach (var route in _routes)
        {
            if (route.Feeder is not { } feeder) continue;
            _openFeeders++;
            _ = FeedAsync(feeder);
        }
    }

    private async Task FeedAsync(SinkFeeder feeder)
    {
        Exception? failure = null;
        try
        {
            await feeder.RunAsync().ConfigureAwait(false);
        }
#pragma warning disable CA1031 // not swallowed: the run's completion carries it
        catch (Exception exception)
#pragma warning restore CA1031
        {
            failure = exception;
        }
        _loop.Post(() =>
        {
            _openFeeders--;
            if (failure is not null) FailOutput(new IOException($"Delivering the output of '{_command}' to its target failed: {failure.Message}", failure));
            else OnOutputEnded();
        });
    }

    private void Begin()
    {
        _loop.WatchExit(_leader, OnLeaderExited);
        foreach (var route in _routes) WatchPump(route.Pump);
        if (_command.Timeout is { } timeout)
        {
            var remaining = timeout - Stopwatch.GetElapsedTime(_startTimestamp);
            _deadlineTimer = _loop.Schedule(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, OnDeadline);
        }
        if (_command.IdleTimeout is { } idle) _idleTimer = _loop.Schedule(idle, OnIdleCheck);
    }

    private void WatchPump(OutputPump pump) => _loop.Watch(pump.Fd, _ => OnPumpReadable(pump));

    private void OnPumpReadable(OutputPump pump)
    {
        bool ended;
        try
        {
            ended = pump.ReadAvailable();
        }
#pragma warning disable CA1031 // not swallowed: the run's completion carries it
        catch (Exception exception)
#pragma warning restore CA1031
        {
            FailOutput(exception);
            return;
        }
        if (pump.Capture is { LimitExceeded: true, LimitAction: OutputLimitAction.Terminate } && _phase == Phase.Running)
            BeginTermination(Outcome.OutputLimitExceeded, immediately: false);
        if (ended)
        {
            EndPump(pump);
            OnOutputEnded();
        }
        else if (pump.Paused)
        {
            _loop.Unwatch(pump.Fd);
        }
    }

    private void EndPump(OutputPump pump)
    {
        _loop.Unwatch(pump.Fd);
        pump.Close();
    }

    // A consumer took its queue down: read again from every pipe whose consumers all have room. The time spent paused
    // was the consumer's, not the program's silence.
    private void ResumePumps()
    {
        if (_phase == Phase.Finished || _pipesClosed) return;
        foreach (var route in _routes)
        {
            var pump = route.Pump;
            if (!pump.Paused || pump.Ended || pump.Queues.Any(q => q.IsFull)) continue;
            pump.Paused = false;
            _idleClock?.Touch();
            WatchPump(pump);
        }
    }

    // The caller closed a piped stream nothing else reads: close the pipe too, so the program sees EPIPE / SIGPIPE
    // exactly as when a shell pipeline's reader goes away.
    private void OnStreamClosed(OutputSource source)
    {
        var route = source == OutputSource.Stdout ? _stdout : _stderr;
        if (route is null || route.Pump.Ended || route.Capture is not null || route.Feeder is not null) return;
        EndPump(route.Pump);
        OnOutputEnded();
    }

    private void FailOutput(Exception exception)
    {
        _outputFailure ??= exception;
        switch (_phase)
        {
            case Phase.Running or Phase.Graceful:
                _endReason ??= Outcome.Canceled;
                KillAll();
                break;
            case Phase.Draining:
                OnDrainExpired();
                break;
            case Phase.Killing:
                OnOutputEnded();
                break;
        }
    }

    private void OnLeaderExited()
    {
        _loop.UnwatchExit(_leader);
        var status = _leader.ReadExitStatus();
        _exitCode = status.ExitCode;
        _signal = status.Signal;
        _leaderExited = true;
        switch (_phase)
        {
            case Phase.Running when AllOutputEnded:
                Finish();
                break;
            case Phase.Running:
                _phase = Phase.Draining;
                _phaseTimer = _loop.Schedule(_command.DrainTimeout, OnDrainTimer);
                break;
            case Phase.Graceful when AllOutputEnded:
                EndGracefully();
                break;
            case Phase.Killing when AllOutputEnded:
                Finish();
                break;
            case Phase.Killing when _pipesClosed:
                FinishOnceSinksDone();
                break;
        }
    }

    private void OnOutputEnded()
    {
        if (!_leaderExited || !AllOutputEnded) return;
        switch (_phase)
        {
            case Phase.Draining or Phase.Killing:
                Finish();
                break;
            case Phase.Graceful:
                EndGracefully();
                break;
        }
    }

    private void OnDeadline()
    {
        switch (_phase)
        {
            case Phase.Running:
                BeginTermination(Outcome.TimedOut, immediately: false);
                break;
            case Phase.Draining:
                OnDrainExpired();
                break;
        }
    }

    private void OnIdleCheck()
    {
        if (_phase != Phase.Running) return;
        var idle = _command.IdleTimeout!.Value;
        if (_routes.Any(r => r.Pump.Paused)) _idleClock!.Touch();
        var silent = Stopwatch.GetElapsedTime(_idleClock!.LastProgress);
        if (silent >= idle) BeginTermination(Outcome.IdleTimedOut, immediately: false);
        else _idleTimer = _loop.Schedule(idle - silent, OnIdleCheck);
    }

    private void BeginTermination(Outcome reason, bool immediately)
    {
        _endReason = reason;
        if (immediately || _command.GracePeriod == TimeSpan.Zero)
        {
            KillAll();
            return;
        }
        _phase = Phase.Graceful;
        _tree.SignalAll(_command.TerminationSignal);
        _phaseTimer = _loop.Schedule(_command.GracePeriod, KillAll);
    }

    private void KillAll()
    {
        _phaseTimer?.Cancel();
        _phase = Phase.Killing;
        if (_tree.SignalAll(Signals.Kill) > 0) _forced = true;
        if (_leaderExited && AllOutputEnded)
        {
            Finish();
            return;
        }
        _phaseTimer = _loop.Schedule(PostKillDrain, () =>
        {
            ClosePipes();
            if (_leaderExited) FinishOnceSinksDone();
        });
    }

    // The leader ended within the grace period and the pipes are closed; whatever of the tree ignored the
    // signal is killed now rather than left behind.
    private void EndGracefully()
    {
        _phaseTimer?.Cancel();
        if (_tree.SignalAll(Signals.Kill) > 0) _forced = true;
        Finish();
    }

    // Output still flowing to a consumer that is slower than the program is not a pipe held by a stray descendant:
    // the drain period starts again rather than cut the consumer off.
    private void OnDrainTimer()
    {
        var consumerBehind = _routes.Any(r => r.Pump.Paused) || (_routes.All(r => r.Pump.Ended) && _openFeeders > 0);
        if (consumerBehind) _phaseTimer = _loop.Schedule(_command.DrainTimeout, OnDrainTimer);
        else OnDrainExpired();
    }

    // Draining means the pipes were still open when the period ended: output is incomplete whether or not the
    // holders, once killed, close the pipes before we look again.
    private void OnDrainExpired()
    {
        _phaseTimer?.Cancel();
        _outputIncomplete = true;
        _tree.SignalAll(Signals.Kill);
        ClosePipes();
        FinishOnceSinksDone();
    }

    private bool AllOutputEnded => (_pipesClosed || _routes.All(r => r.Pump.Ended)) && (_openFeeders == 0 || _feedersAbandoned);

    // Takes what is already in the pipes, then closes them: output still held open by a writer outside our
    // reach is marked incomplete rather than allowed to hold the call.
    private void ClosePipes()
    {
        foreach (var route in _routes)
        {
            var pump = route.Pump;
            if (pump.Ended) continue;
            try
            {
                if (!pump.ReadAvailable(ignorePause: true)) _outputIncomplete = true;
            }
            catch (IOException exception)
            {
                _outputFailure ??= exception;
            }
            EndPump(pump);
        }
        _pipesClosed = true;
    }

    // The pipes are closed; the streams and callbacks still finish what was read, within a bound.
    private void FinishOnceSinksDone()
    {
        if (_openFeeders == 0)
        {
            Finish();
            return;
        }
        _phaseTimer = _loop.Schedule(SinkBound, () =>
        {
            _outputIncomplete = true;
            _feedersAbandoned = true;
            foreach (var route in _routes) route.Feeder?.Abandon();
            Finish();
        });
    }

    private void Finish()
    {
        if (_phase == Phase.Finished) return;
        _phase = Phase.Finished;
        _deadlineTimer?.Cancel();
        _phaseTimer?.Cancel();
        _idleTimer?.Cancel();
        _confinement.Release(_loop, _tree);
        var usage = _leader.Reap(_confinement.HostPeakBytes);
        var signalled = _endReason is not null ? _tree.ReachedCount + 1 : 0;
        _tree.Dispose();
        foreach (var route in _routes)
            if (!route.Pump.Ended) EndPump(route.Pump);
        var outcome = _endReason ?? LimitOutcome.Of(_command.Limits, _signal, usage, _confinement.MemoryLimitExceeded) ?? (_signal is not null ? Outcome.Signaled : Outcome.Exited);
        var stdout = Captured(_stdout);
        var stderr = Captured(_stderr);
        // Unregistering waits for a running callback, and callbacks only post here, so this cannot deadlock.
        // Only when there is one: a thread-pool wake-up per run costs a CPU the next spawn is waiting for.
        if (_cancellation != default) _ = Task.Run(_cancellation.Dispose);
        if (_outputFailure is not null)
        {
            stdout.Dispose();
            stderr.Dispose();
            _completion.TrySetException(_outputFailure);
            return;
        }
        _completion.TrySetResult(new RunResult(_command, ProcessId, outcome, _exitCode, _signal, _forced, _outputIncomplete,
            stdout, stderr, StartedAt, Stopwatch.GetElapsedTime(_startTimestamp)) { Usage = usage, SignalledProcesses = signalled });
    }

    private CapturedOutput Captured(OutputRoute? route) =>
        route?.Capture is { } capture ? new CapturedOutput(capture.TakeContent(), _command.Encoding) : CapturedOutput.None(_command.Encoding);
}
