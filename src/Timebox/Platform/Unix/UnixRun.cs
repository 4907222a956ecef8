using System.Diagnostics;
using System.IO.Pipes;
using Microsoft.Win32.SafeHandles;
using Timebox.Execution;

namespace Timebox.Platform.Unix;

/// <summary>
/// One run on Linux: a state machine driven only by the <see cref="EventLoop"/> thread (leader exit through its
/// pidfd, output pipes, deadline, grace and drain timers), so it needs no locks and no thread of its own.
/// </summary>
/// <remarks>
/// Phases: Running → (leader exits) Draining → Finished; or Running → (deadline / cancel) Graceful → Killing → Finished.
/// The leader is reaped only in <see cref="Finish"/>, after every signal to its process group has been sent, so the
/// group id can never be a recycled pid when we signal it.
/// </remarks>
internal sealed class UnixRun : IRunControl
{
    private enum Phase { Running, Draining, Graceful, Killing, Finished }

    // After SIGKILL the pipes close as soon as the killed writers are gone; this bounds the wait for a writer
    // that escaped the tree (another session whose parent already died) and still holds them.
    private static readonly TimeSpan PostKillDrain = TimeSpan.FromMilliseconds(100);

    private readonly Command _command;
    private readonly EventLoop _loop = EventLoop.Shared;
    private readonly TaskCompletionSource<RunResult> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly long _startTimestamp;
    private readonly ProcessTree _tree;
    private readonly int _pidfd;
    private readonly PipeCapture? _stdoutCapture;
    private readonly PipeCapture? _stderrCapture;
    private readonly List<PipeStream> _copyPipes = [];
    private int _openCopies;
    private Phase _phase = Phase.Running;
    private Outcome? _endReason;
    private bool _leaderExited, _forced, _outputIncomplete, _outputsClosed;
    private int? _exitCode, _signal;
    private LoopTimer? _deadlineTimer, _phaseTimer;
    private CancellationTokenRegistration _cancellation;
    private Exception? _outputFailure;
    private RunConfinement _confinement = null!;

    private UnixRun(Command command, int pid, int pidfd, long startTimestamp, PipeCapture? stdout, PipeCapture? stderr)
    {
        _command = command;
        ProcessId = pid;
        _pidfd = pidfd;
        _tree = new ProcessTree(pid, pidfd);
        _startTimestamp = startTimestamp;
        StartedAt = DateTimeOffset.UtcNow;
        _stdoutCapture = stdout;
        _stderrCapture = stderr;
    }

    public int ProcessId { get; }

    public DateTimeOffset StartedAt { get; }

    public Task<RunResult> Completion => _completion.Task;

    public Stream? StandardInput { get; private set; }

    public Stream? StandardOutput { get; private set; }

    public Stream? StandardError { get; private set; }

    public static UnixRun Start(Command command, CancellationToken cancellationToken)
    {
        var workingDirectory = CheckWorkingDirectory(command);
        var environment = PosixSpawner.BuildEnvironment(command, out var pathVariable);
        var path = ProgramResolver.Resolve(command, pathVariable, workingDirectory);

        using var plan = new RedirectionPlan(command);
        var startTimestamp = Stopwatch.GetTimestamp();
        var pid = RunConfinement.Spawn(command, path, workingDirectory, environment, plan.ChildStdin, plan.ChildStdout, plan.ChildStderr, out var pidfd, out var confinement);
        plan.CloseChildEnds();

        var run = new UnixRun(command, pid, pidfd, startTimestamp,
            plan.TakeCapture(ref plan.StdoutParent, command.Stdout), plan.TakeCapture(ref plan.StderrParent, command.Stderr)) { _confinement = confinement };
        // Streams first: Begin must already count the stream copies when it looks at whether output has ended.
        run.ConnectStreams(plan);
        run._loop.Post(run.Begin);
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

    private void ConnectStreams(RedirectionPlan plan)
    {
        if (plan.StdinParent >= 0)
        {
            var stdin = new AnonymousPipeClientStream(PipeDirection.Out, new SafePipeHandle(plan.StdinParent, ownsHandle: true));
            plan.StdinParent = -1;
            if (_command.Stdin.Kind == StdinSource.SourceKind.Pipe) StandardInput = stdin;
            else _ = FeedStdinAsync(stdin);
        }
        StandardOutput = ConnectOutput(ref plan.StdoutParent, _command.Stdout);
        StandardError = ConnectOutput(ref plan.StderrParent, _command.Stderr);
    }

    private PipeStream? ConnectOutput(ref int parentFd, OutputTarget target)
    {
        if (parentFd < 0) return null;
        var pipe = new AnonymousPipeClientStream(PipeDirection.In, new SafePipeHandle(parentFd, ownsHandle: true));
        parentFd = -1;
        if (target.Kind == OutputTarget.TargetKind.Pipe) return pipe;
        _copyPipes.Add(pipe);
        Interlocked.Increment(ref _openCopies);
        _ = CopyOutputAsync(pipe, target.Stream!);
        return null;
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

    private async Task CopyOutputAsync(PipeStream pipe, Stream target)
    {
        Exception? failure = null;
        try
        {
            await pipe.CopyToAsync(target).ConfigureAwait(false);
            await pipe.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is ObjectDisposedException or OperationCanceledException || (exception is IOException && pipe.SafePipeHandle.IsClosed))
        {
            // The pipe was closed by the drain or kill bound: what was copied so far stays copied.
        }
#pragma warning disable CA1031 // not swallowed: the run's completion carries it
        catch (Exception exception)
#pragma warning restore CA1031
        {
            failure = exception;
            await pipe.DisposeAsync().ConfigureAwait(false);
        }
        _loop.Post(() =>
        {
            _outputFailure ??= failure;
            Interlocked.Decrement(ref _openCopies);
            OnOutputEnded();
        });
    }

    private void Begin()
    {
        if (_pidfd >= 0) _loop.Watch(_pidfd, _ => OnLeaderExited());
        else OnLeaderExited();
        if (_stdoutCapture is not null) _loop.Watch(_stdoutCapture.Fd, _ => OnCaptureReadable(_stdoutCapture));
        if (_stderrCapture is not null) _loop.Watch(_stderrCapture.Fd, _ => OnCaptureReadable(_stderrCapture));
        if (_command.Timeout is { } timeout)
        {
            var remaining = timeout - Stopwatch.GetElapsedTime(_startTimestamp);
            _deadlineTimer = _loop.Schedule(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, OnDeadline);
        }
    }

    private void OnCaptureReadable(PipeCapture capture)
    {
        if (!capture.ReadAvailable()) return;
        _loop.Unwatch(capture.Fd);
        capture.Close();
        OnOutputEnded();
    }

    private void OnLeaderExited()
    {
        if (_pidfd >= 0)
        {
            _loop.Unwatch(_pidfd);
            var status = ExitStatus.Read(_pidfd);
            _exitCode = status.ExitCode;
            _signal = status.Signal;
        }
        _leaderExited = true;
        switch (_phase)
        {
            case Phase.Running when AllOutputEnded:
                Finish();
                break;
            case Phase.Running:
                _phase = Phase.Draining;
                _phaseTimer = _loop.Schedule(_command.DrainTimeout, OnDrainExpired);
                break;
            case Phase.Graceful when AllOutputEnded:
                EndGracefully();
                break;
            case Phase.Killing when AllOutputEnded:
                Finish();
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
            CloseOutputs();
            if (_leaderExited) Finish();
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

    // Draining means the pipes were still open when the period ended: output is incomplete whether or not the
    // holders, once killed, close the pipes before we look again.
    private void OnDrainExpired()
    {
        _phaseTimer?.Cancel();
        _outputIncomplete = true;
        _tree.SignalAll(Signals.Kill);
        CloseOutputs();
        Finish();
    }

    private bool AllOutputEnded =>
        _outputsClosed || ((_stdoutCapture?.Ended ?? true) && (_stderrCapture?.Ended ?? true) && Volatile.Read(ref _openCopies) == 0);

    // Takes what is already in the pipes, then closes them: output still held open by a writer outside our
    // reach is marked incomplete rather than allowed to hold the call.
    private void CloseOutputs()
    {
        foreach (var capture in new[] { _stdoutCapture, _stderrCapture })
        {
            if (capture is null || capture.Ended) continue;
            if (!capture.ReadAvailable()) _outputIncomplete = true;
            _loop.Unwatch(capture.Fd);
            capture.Close();
        }
        if (Volatile.Read(ref _openCopies) > 0) _outputIncomplete = true;
        foreach (var pipe in _copyPipes) pipe.Dispose();
        _outputsClosed = true;
    }

    private void Finish()
    {
        if (_phase == Phase.Finished) return;
        _phase = Phase.Finished;
        _deadlineTimer?.Cancel();
        _phaseTimer?.Cancel();
        _confinement.Release(_loop);
        var usage = _pidfd >= 0 ? ExitStatus.Reap(_pidfd, _confinement.HostPeakBytes) : null;
        _tree.Dispose();
        _stdoutCapture?.Close();
        _stderrCapture?.Close();
        var outcome = _endReason ?? LimitOutcome.Of(_command.Limits, _signal, usage) ?? (_signal is not null ? Outcome.Signaled : Outcome.Exited);
        var stdout = _stdoutCapture?.ToOutput(_command.Encoding) ?? CapturedOutput.None(_command.Encoding);
        var stderr = _stderrCapture?.ToOutput(_command.Encoding) ?? CapturedOutput.None(_command.Encoding);
        var result = new RunResult(_command, ProcessId, outcome, _exitCode, _signal, _forced, _outputIncomplete,
            stdout, stderr, StartedAt, Stopwatch.GetElapsedTime(_startTimestamp)) { Usage = usage };
        // Unregistering waits for a running callback, and callbacks only post here, so this cannot deadlock.
        // Only when there is one: a thread-pool wake-up per run costs a CPU the next spawn is waiting for.
        if (_cancellation != default) _ = Task.Run(_cancellation.Dispose);
        if (_outputFailure is not null)
            _completion.TrySetException(new IOException($"Copying output of '{_command}' to its target stream failed: {_outputFailure.Message}", _outputFailure));
        else
            _completion.TrySetResult(result);
    }
}
