using System.Diagnostics;
using Timebox.Output;
using Timebox.Telemetry;

namespace Timebox.Execution;

/// <summary>
/// What a run does whatever the platform: its phases, the termination sequence, the drain and sink bounds, and the result.
/// A platform (<c>UnixRun</c>, <c>WindowsRun</c>) supplies the process tree, the pipe readers, the timers and the one thing
/// that makes the machine safe without locks of its own: every step, whether a callback, a timer or a caller's request,
/// runs through <see cref="Post"/> or <see cref="Schedule"/>, one at a time.
/// </summary>
/// <remarks>
/// Phases: Running → (leader exits) Draining → Finished; or Running → (deadline / idle / output limit / cancel) Graceful →
/// Killing → Finished. The leader's processes are let go (<see cref="ReleaseTree"/>) only when the run finishes, after
/// every signal to its tree has been sent.
/// </remarks>
internal abstract class RunStateMachine<TReader> : IRunControl where TReader : class, IOutputReader
{
    private enum Phase { Running, Draining, Graceful, Killing, Finished }

    // After the kill the pipes close as soon as the killed writers are gone; this bounds the wait for a writer that
    // escaped the tree (another session whose parent already died) and still holds them, and for a slow sink.
    private static readonly TimeSpan PostKillDrain = TimeSpan.FromMilliseconds(100);

    // Once the pipes are closed, how long streams and callbacks get to take what was already read: long enough for a
    // thread pool busy elsewhere, short enough that a sink blocked for good cannot hold the call.
    private static readonly TimeSpan SinkBound = TimeSpan.FromSeconds(1);

    private readonly TaskCompletionSource<RunResult> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly long _startTimestamp;
    private readonly TimeProvider _time;
    private readonly IdleClock? _idleClock;
    private readonly Activity? _span;
    private TReader? _stdout, _stderr;
    private TReader[] _readers = [];
    private long _sequence;
    private int _openFeeders;
    private Phase _phase = Phase.Running;
    private Outcome? _endReason;
    private bool _forcefullyKilled, _outputIncomplete, _feedersAbandoned;
    private IRunTimer? _deadlineTimer, _phaseTimer, _idleTimer;
    private CancellationTokenRegistration _cancellation;
    private Exception? _outputFailure;

    // time: the clock of the deadline, the idle check and the duration (startTimestamp is one of its timestamps); the
    // system's, Stopwatch's, unless a test drives it.
    protected RunStateMachine(Command command, int processId, long startTimestamp, TimeProvider? time = null)
    {
        Command = command;
        ProcessId = processId;
        _startTimestamp = startTimestamp;
        _time = time ?? TimeProvider.System;
        StartedAt = DateTimeOffset.UtcNow;
        _idleClock = command.IdleTimeout is null ? null : new IdleClock(command.IdleProgress, _time);
        _span = RunTelemetry.Start(command, processId, startTimestamp);
    }

    public int ProcessId { get; }

    public DateTimeOffset StartedAt { get; }

    public Task<RunResult> Completion => _completion.Task;

    public Stream? StandardInput { get; private set; }

    public Stream? StandardOutput { get; private set; }

    public Stream? StandardError { get; private set; }

    public IReadOnlyList<ConsumerClaim> PipedOutputs { get; private set; } = [];

    protected Command Command { get; }

    protected ReadOnlySpan<TReader> Readers => _readers;

    protected bool LeaderExited { get; private set; }

    protected int? ExitCode { get; private set; }

    /// <summary>The signal that ended the leader (Unix only).</summary>
    protected int? ExitSignal { get; private set; }

    protected bool IsFinished => _phase == Phase.Finished;

    /// <summary>True once the run closes its pipes after a kill or a drain that ran out: output still held open is then incomplete.</summary>
    protected bool PipesClosed { get; private set; }

    public void Signal(int signal, bool entireGroup) => Post(() =>
    {
        if (_phase != Phase.Finished) SignalProcesses(signal, entireGroup);
    });

    public void Terminate(bool immediately) => Post(() =>
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

    /// <summary>
    /// Runs <paramref name="step"/> as a step of the machine, never alongside another: later on the event loop's thread (Unix),
    /// or now under the run's lock (Windows). Safe from any thread.
    /// </summary>
    protected abstract void Post(Action step);

    /// <summary>Runs <paramref name="action"/> as a step of the machine once <paramref name="delay"/> has passed (at once if it is not positive), unless canceled first.</summary>
    protected abstract IRunTimer Schedule(TimeSpan delay, Action action);

    /// <summary>Starts watching the leader's exit (which calls <see cref="OnLeaderExited"/>) and reading every pipe of <see cref="Readers"/>.</summary>
    protected abstract void StartWatching();

    /// <summary>How the leader ended, once it has; without letting go of it (that is <see cref="ReleaseTree"/>).</summary>
    protected abstract (int? ExitCode, int? Signal) ReadLeaderExit();

    /// <summary>What <see cref="IRunControl.Signal"/> asks for, while the run has not finished.</summary>
    protected abstract void SignalProcesses(int signal, bool entireGroup);

    /// <summary>
    /// Asks the tree to stop: the command's termination signal where GNU timeout sends it (the main process and its group,
    /// plus what nothing in the tree supervises; see <c>ProcessTree</c>); false when the platform has no graceful step to wait for.
    /// </summary>
    protected abstract bool SignalGracefully();

    /// <summary>
    /// Kills every process of the tree, now or at the end of the current step's turn (Unix batches the kills of one turn),
    /// then calls <paramref name="onKilled"/> as a step: true if the kill ended any process that was not already dying of
    /// the graceful signal (or exiting by itself), what <see cref="RunResult.ForcefullyKilled"/> reports. When the run finishes
    /// before that, letting go of the tree carries out the kill first, so the callback still comes before the result is
    /// made; it then finds the run finished.
    /// </summary>
    protected abstract void KillTree(Action<bool> onKilled);

    /// <summary>
    /// True when every pipe not yet ended is paused (its consumers are behind) and has no writer left: the platform saw it
    /// hang up (<see cref="OnPausedOutputHungUp"/>). False where the platform cannot tell.
    /// </summary>
    protected virtual bool OnlyUnreadOutputLeft => false;

    /// <summary>Reads <paramref name="reader"/>'s pipe again after a pause.</summary>
    protected abstract void ResumeReading(TReader reader);

    /// <summary>
    /// Stops reading <paramref name="reader"/>'s pipe and closes it: at once, or once its pending read returns (then the
    /// reader reports with <see cref="OnOutputEnded"/> or <see cref="FailOutput"/>). With <paramref name="takeRest"/> (the
    /// run is closing its pipes) what the pipe already holds still reaches the consumers, and output still held open by a
    /// writer is marked incomplete.
    /// </summary>
    protected abstract void StopReading(TReader reader, bool takeRest);

    /// <summary>The run has finished: <paramref name="reader"/> ends now, whatever it was doing.</summary>
    protected abstract void EndReading(TReader reader);

    /// <summary>
    /// The run has finished: lets go of the leader and its tree (reaping, containment, handles). Returns what they used,
    /// the outcome of a resource limit that ended the leader, if one did, and how many processes the tree reached, the
    /// leader included (the CLI's killed_processes).
    /// </summary>
    protected abstract (ResourceUsage? Usage, Outcome? LimitOutcome, int Reached) ReleaseTree();

    /// <summary>Takes the run's readers of stdout and stderr (null for a stream the host does not read); from the platform's constructor.</summary>
    protected void AttachReaders(TReader? stdout, TReader? stderr)
    {
        _stdout = stdout;
        _stderr = stderr;
        _readers = new[] { stdout, stderr }.OfType<TReader>().ToArray();
        PipedOutputs = _readers.Select(r => r.Consumers.Claim).OfType<ConsumerClaim>().ToArray();
        StandardOutput = stdout?.Consumers.Claim is { } stdoutClaim ? new QueueReadStream(stdoutClaim) : null;
        StandardError = stderr?.Consumers.Claim is { } stderrClaim ? new QueueReadStream(stderrClaim) : null;
    }

    /// <summary>
    /// What a reader of <paramref name="source"/> feeds, tied to this run's idle clock, arrival order and steps; a capture
    /// spills into files of the platform's <paramref name="spillFiles"/>.
    /// </summary>
    protected OutputConsumers Consumers(OutputTarget target, OutputSource source, IReadOnlyList<IOutputSink> sinks, SpillFiles spillFiles) =>
        OutputConsumers.Create(Command, target, source, sinks, spillFiles, _idleClock, () => ++_sequence, () => Post(ResumeReaders),
            closed => Post(() => OnStreamClosed(closed)));

    /// <summary>Takes the host's end of the program's stdin pipe.</summary>
    protected void AttachStdin(Stream stdin) => StandardInput = StdinFeed.Connect(Command, stdin);

    /// <summary>Starts the feeders of streams and callbacks. Counted before <see cref="Begin"/>, so that output cannot be seen as ended while a feeder still delivers.</summary>
    protected void StartFeeders()
    {
        foreach (var reader in _readers)
        {
            if (reader.Consumers.Feeder is not { } feeder) continue;
            _openFeeders++;
            _ = FeedAsync(feeder, reader == _stdout ? OutputSource.Stdout : OutputSource.Stderr);
        }
    }

    /// <summary>The first step: watching the leader and the pipes, and the deadline and idle timers.</summary>
    protected void Begin()
    {
        StartWatching();
        if (Command.Timeout is { } timeout) _deadlineTimer = Schedule(timeout - _time.GetElapsedTime(_startTimestamp), OnDeadline);
        if (Command.IdleTimeout is { } idle) _idleTimer = Schedule(idle, OnIdleCheck);
    }

    /// <summary>Runs the termination sequence when <paramref name="cancellationToken"/> is canceled.</summary>
    protected void TerminateOnCancel(CancellationToken cancellationToken)
    {
        if (cancellationToken.CanBeCanceled)
            _cancellation = cancellationToken.UnsafeRegister(static state => ((RunStateMachine<TReader>)state!).Terminate(false), this);
    }

    /// <summary>
    /// After a read by <paramref name="reader"/>: a capture that can no longer spill ends the run as an output failure (it
    /// would otherwise grow in memory without bound); one past a limit that ends the run starts the termination sequence.
    /// </summary>
    protected void CheckCapture(TReader reader)
    {
        if (reader.Consumers.Capture is not { } capture) return;
        if (capture.SpillFailure is { } failure)
        {
            if (_outputFailure is null) FailOutput(failure);
        }
        else if (capture is { LimitExceeded: true, LimitAction: OutputLimitAction.Terminate } && _phase == Phase.Running)
        {
            BeginTermination(Outcome.OutputLimitExceeded, immediately: false);
        }
    }

    protected void MarkOutputIncomplete() => _outputIncomplete = true;

    /// <summary>Keeps the first failure to read, keep or deliver output; the run ends with it, the result inside (<see cref="CommandOutputException"/>).</summary>
    protected void RecordOutputFailure(Exception exception) => _outputFailure ??= exception;

    protected void FailOutput(Exception exception)
    {
        RecordOutputFailure(exception);
        switch (_phase)
        {
            case Phase.Running or Phase.Graceful:
                _endReason ??= Outcome.OutputFailed;
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

    protected void OnLeaderExited()
    {
        if (LeaderExited || _phase == Phase.Finished) return;
        (ExitCode, ExitSignal) = ReadLeaderExit();
        LeaderExited = true;
        switch (_phase)
        {
            case Phase.Running when AllOutputEnded:
                Finish();
                break;
            case Phase.Running:
                _phase = Phase.Draining;
                _phaseTimer = Schedule(Command.DrainTimeout, OnDrainTimer);
                if (OnlyUnreadOutputLeft) TakeUnreadOutput();
                break;
            case Phase.Graceful when AllOutputEnded:
                EndGracefully();
                break;
            case Phase.Graceful when OnlyUnreadOutputLeft:
                TakeUnreadOutput();
                break;
            case Phase.Killing when AllOutputEnded:
                Finish();
                break;
            case Phase.Killing when PipesClosed:
                FinishOnceSinksDone();
                break;
        }
    }

    /// <summary>A paused pipe has no writer left (see <see cref="OnlyUnreadOutputLeft"/>).</summary>
    protected void OnPausedOutputHungUp()
    {
        if (OnlyUnreadOutputLeft) TakeUnreadOutput();
    }

    /// <summary>A pipe or a feeder has ended.</summary>
    protected void OnOutputEnded()
    {
        if (!LeaderExited || !AllOutputEnded) return;
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

    private async Task FeedAsync(SinkFeeder feeder, OutputSource source)
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
        Post(() =>
        {
            _openFeeders--;
            if (failure is not null) FailOutput(new IOException($"Could not deliver {(source == OutputSource.Stdout ? "stdout" : "stderr")} to its target: {failure.Message}", failure));
            else OnOutputEnded();
        });
    }

    // A consumer took its queue down: read again from every pipe whose consumers all have room. The time spent paused
    // was the consumer's, not the program's silence.
    private void ResumeReaders()
    {
        if (_phase == Phase.Finished || PipesClosed) return;
        foreach (var reader in _readers)
        {
            if (!reader.Paused || reader.Ended || reader.Consumers.Queues.Any(q => q.IsFull)) continue;
            _idleClock?.Touch();
            ResumeReading(reader);
        }
    }

    // The caller closed a piped stream nothing else reads: close the pipe too, so the program's writes fail (EPIPE /
    // SIGPIPE, ERROR_NO_DATA) exactly as when a shell pipeline's reader goes away.
    private void OnStreamClosed(OutputSource source)
    {
        var reader = source == OutputSource.Stdout ? _stdout : _stderr;
        if (reader is null || reader.Ended || reader.Consumers.Capture is not null || reader.Consumers.Feeder is not null) return;
        StopReading(reader, takeRest: false);
        OnOutputEnded();
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
        var idle = Command.IdleTimeout!.Value;
        if (_readers.Any(r => r.Paused)) _idleClock!.Touch();
        var silent = _time.GetElapsedTime(_idleClock!.LastProgress);
        if (silent >= idle) BeginTermination(Outcome.IdleTimedOut, immediately: false);
        else _idleTimer = Schedule(idle - silent, OnIdleCheck);
    }

    private void BeginTermination(Outcome reason, bool immediately)
    {
        _endReason = reason;
        if (immediately || Command.GracePeriod == TimeSpan.Zero || !SignalGracefully())
        {
            KillAll();
            return;
        }
        _phase = Phase.Graceful;
        if (Command.GracePeriod != Timeout.InfiniteTimeSpan) _phaseTimer = Schedule(Command.GracePeriod, KillAll);
    }

    private void KillAll()
    {
        _phaseTimer?.Cancel();
        _phase = Phase.Killing;
        KillTree(forcefullyKilled =>
        {
            _forcefullyKilled |= forcefullyKilled;
            if (IsFinished) return;
            if (LeaderExited && AllOutputEnded)
            {
                Finish();
                return;
            }
            _phaseTimer = Schedule(PostKillDrain, () =>
            {
                ClosePipes();
                if (LeaderExited) FinishOnceSinksDone();
            });
        });
    }

    // The leader ended within the grace period and the pipes are closed; whatever of the tree ignored the
    // graceful step is killed now rather than left behind.
    private void EndGracefully()
    {
        _phaseTimer?.Cancel();
        _phase = Phase.Killing;
        KillTree(forcefullyKilled =>
        {
            _forcefullyKilled |= forcefullyKilled;
            Finish();
        });
    }

    // Output still flowing to a consumer that is slower than the program is not a pipe held by a stray descendant:
    // the drain period starts again rather than cut the consumer off.
    private void OnDrainTimer()
    {
        var consumerBehind = _readers.Any(r => r.Paused) || (_readers.All(r => r.Ended) && _openFeeders > 0);
        if (consumerBehind) _phaseTimer = Schedule(Command.DrainTimeout, OnDrainTimer);
        else OnDrainExpired();
    }

    // Draining means the pipes were still open when the period ended: output is incomplete whether or not the
    // holders, once killed, close the pipes before we look again.
    private void OnDrainExpired()
    {
        _phaseTimer?.Cancel();
        _phase = Phase.Killing;
        _outputIncomplete = true;
        KillTree(_ =>
        {
            if (IsFinished) return;
            ClosePipes();
            FinishOnceSinksDone();
        });
    }

    // Every process that could still write to the paused pipes is gone and the leader has exited: what the pipes hold is
    // all there will be. They are emptied into their queues, past the consumers' limits by no more than a pipe holds, and
    // closed, so that the run completes now rather than when a consumer that may never read gets round to it (a consumer
    // that had stopped reading held a timed-out run for its whole grace period). What was not read stays readable; a
    // feeder still delivering to a stream or callback keeps the run going, as it would have.
    private void TakeUnreadOutput()
    {
        if (!LeaderExited || PipesClosed || _phase is not (Phase.Draining or Phase.Graceful)) return;
        ClosePipes();
        if (!AllOutputEnded) return;
        if (_phase == Phase.Graceful) EndGracefully();
        else Finish();
    }

    private bool AllOutputEnded => _readers.All(r => r.Ended) && (_openFeeders == 0 || _feedersAbandoned);

    // Output still held open by a writer outside our reach is marked incomplete rather than allowed to hold the call.
    private void ClosePipes()
    {
        PipesClosed = true;
        foreach (var reader in _readers)
            if (!reader.Ended) StopReading(reader, takeRest: true);
    }

    // The pipes are closed or closing; the readers end within moments, the streams and callbacks finish what was read
    // within a bound.
    private void FinishOnceSinksDone()
    {
        if (AllOutputEnded)
        {
            Finish();
            return;
        }
        _phaseTimer = Schedule(SinkBound, () =>
        {
            _outputIncomplete = true;
            _feedersAbandoned = true;
            foreach (var reader in _readers) reader.Consumers.Feeder?.Abandon();
            Finish();
        });
    }

    // Whatever fails on the way, the run's completion is set: the loop that ran this step only traces what it throws.
    private void Finish()
    {
        if (_phase == Phase.Finished) return;
        _phase = Phase.Finished;
        try
        {
            Complete();
        }
        catch (Exception exception)
        {
            _completion.TrySetException(exception);
            throw;
        }
    }

    private void Complete()
    {
        _deadlineTimer?.Cancel();
        _phaseTimer?.Cancel();
        _idleTimer?.Cancel();
        foreach (var reader in _readers)
            if (!reader.Ended) EndReading(reader);
        var (usage, limitOutcome, reached) = ReleaseTree();
        var outcome = _endReason ?? limitOutcome ?? (ExitSignal is not null ? Outcome.Signaled : Outcome.Exited);
        var stdout = Captured(_stdout);
        var stderr = Captured(_stderr);
        // Unregistering waits for a running callback, which may be waiting for this step to end: not here. Only when
        // there is one: a thread-pool wake-up per run costs a CPU the next spawn is waiting for.
        if (_cancellation != default) _ = Task.Run(_cancellation.Dispose);
        var result = new RunResult(Command, ProcessId, outcome, ExitCode, ExitSignal, _forcefullyKilled, _outputIncomplete,
            stdout, stderr, StartedAt, _time.GetElapsedTime(_startTimestamp)) { Usage = usage, SignaledProcesses = _endReason is not null ? reached : 0 };
        // A capture may also have failed to spill while the pipes were emptied at the end, after the last check.
        var outputFailure = _outputFailure ?? _readers.Select(r => r.Consumers.Capture?.SpillFailure).FirstOrDefault(f => f is not null);
        RunTelemetry.Complete(_span, result, outputFailure);
        if (outputFailure is { } failure)
            _completion.TrySetException(new CommandOutputException(result, failure));
        else
            _completion.TrySetResult(result);
    }

    private CapturedOutput Captured(TReader? reader) =>
        reader?.Consumers.Capture is { } capture ? new CapturedOutput(capture.TakeContent(), Command.Encoding) : CapturedOutput.None(Command.Encoding);
}
