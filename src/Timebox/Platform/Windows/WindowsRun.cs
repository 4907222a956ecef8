using System.Diagnostics;
using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;
using Timebox.Execution;
using Timebox.Output;

namespace Timebox.Platform.Windows;

/// <summary>
/// One run on Windows, the counterpart of <c>UnixRun</c> with the same phases: Running → (main process exits) Draining →
/// Finished; or Running → (deadline / idle / output limit / cancel) Graceful → Killing → Finished. No thread of its own:
/// the main process's exit is a thread-pool wait on its handle, timers are thread-pool timers, output comes from overlapped
/// reads. Each of those takes the run's lock, so the state machine runs one step at a time as on the Unix event loop.
/// </summary>
/// <remarks>
/// Windows has no signals. The graceful stop is Ctrl+Break to the program's process group (GenerateConsoleCtrlEvent; a
/// console program's default handler exits with 0xC000013A); the kill is TerminateJobObject, which ends every process of
/// the job, descendants that left the group or the console included, with exit code <see cref="JobObject.KilledExitCode"/>.
/// <see cref="RunResult.Signal"/> is always null; a killed main process reports <see cref="RunResult.ExitCode"/> 1 and
/// <see cref="RunResult.Forced"/> true.
/// </remarks>
[SupportedOSPlatform("windows")]
internal sealed class WindowsRun : IRunControl
{
    private enum Phase { Running, Draining, Graceful, Killing, Finished }

    // As on Unix: after the kill the pipes close as soon as the killed writers are gone; this bounds the wait for a slow sink.
    private static readonly TimeSpan PostKillDrain = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan SinkBound = TimeSpan.FromSeconds(1);

    // The job's CPU limit is checked periodically: a main process it ended used at least about that much user time.
    private static readonly TimeSpan CpuLimitTolerance = TimeSpan.FromMilliseconds(100);

    private readonly Lock _gate = new();
    private readonly Command _command;
    private readonly TaskCompletionSource<RunResult> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly long _startTimestamp;
    private readonly JobObject _job;
    private readonly SafeWaitHandle _process;
    private readonly PipeReader? _stdout, _stderr;
    private readonly PipeReader[] _readers;
    private readonly IdleClock? _idleClock;
    private long _sequence;
    private int _openFeeders;
    private Phase _phase = Phase.Running;
    private Outcome? _endReason;
    private bool _leaderExited, _forced, _outputIncomplete, _pipesClosed, _feedersAbandoned;
    private int? _exitCode;
    private RunTimer? _deadlineTimer, _phaseTimer, _idleTimer;
    private RegisteredWaitHandle? _exitWait;
    private CancellationTokenRegistration _cancellation;
    private Exception? _outputFailure;

    private WindowsRun(Command command, SafeWaitHandle process, int pid, JobObject job, long startTimestamp, StdioHandles stdio,
        IReadOnlyList<IOutputSink> stdoutSinks, IReadOnlyList<IOutputSink> stderrSinks)
    {
        _command = command;
        _process = process;
        ProcessId = pid;
        _job = job;
        _startTimestamp = startTimestamp;
        StartedAt = DateTimeOffset.UtcNow;
        _idleClock = command.IdleTimeout is null ? null : new IdleClock(command.IdleProgress);
        _stdout = Reader(command.Stdout, OutputSource.Stdout, stdio.StdoutPipe, stdoutSinks);
        _stderr = Reader(command.Stderr, OutputSource.Stderr, stdio.StderrPipe, stderrSinks);
        stdio.StdoutPipe = stdio.StderrPipe = null;
        _readers = new[] { _stdout, _stderr }.OfType<PipeReader>().ToArray();
        PipedOutputs = _readers.Select(r => r.Claim).OfType<ConsumerClaim>().ToArray();
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

    public static WindowsRun Start(Command command, CancellationToken cancellationToken)
    {
        JobObject.CheckLimits(command);
        var workingDirectory = CheckWorkingDirectory(command);
        if (command.SpillDirectory is { } spill && !Directory.Exists(spill))
            throw new OutputTargetException(command, spill, new DirectoryNotFoundException($"The spill directory '{spill}' does not exist."));
        var environment = WindowsEnvironment.Block(command, out var pathVariable, out var pathExtVariable);
        var program = ProgramSearch.Resolve(command, pathVariable, pathExtVariable, workingDirectory ?? Environment.CurrentDirectory);
        var (application, commandLine) = CommandLine.For(command, program);

        var stdoutSinks = OutputRoute.OpenSinks(command, command.Stdout, OutputSource.Stdout);
        var stderrSinks = command.MergeStderrIntoStdout ? [] : OutputRoute.OpenSinks(command, command.Stderr, OutputSource.Stderr);
        try
        {
            using var stdio = new StdioHandles(command);
            var job = JobObject.Create(command);
            SafeWaitHandle process;
            int pid;
            var startTimestamp = Stopwatch.GetTimestamp();
            try
            {
                (process, pid) = WindowsSpawner.Start(command, application, commandLine, environment, workingDirectory, stdio, job);
            }
            catch
            {
                job.Dispose();
                throw;
            }
            stdio.CloseChildHandles();

            var run = new WindowsRun(command, process, pid, job, startTimestamp, stdio, stdoutSinks, stderrSinks);
            run.ConnectStdin(stdio);
            lock (run._gate) run.Begin();
            if (cancellationToken.CanBeCanceled)
                run._cancellation = cancellationToken.UnsafeRegister(static state => ((WindowsRun)state!).Terminate(false), run);
            return run;
        }
        catch
        {
            foreach (var sink in stdoutSinks.Concat(stderrSinks).OfType<StreamSink>()) _ = sink.CompleteAsync(CancellationToken.None);
            throw;
        }
    }

    public void Signal(int signal, bool entireGroup)
    {
        lock (_gate)
        {
            if (_phase == Phase.Finished || signal == 0) return;
            if (signal != Signals.Kill) SendBreak();
            else if (entireGroup) _job.Terminate();
            else Kernel32.TerminateProcess(_process, JobObject.KilledExitCode);
        }
    }

    public void Terminate(bool immediately)
    {
        lock (_gate)
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
        }
    }

    private static string? CheckWorkingDirectory(Command command)
    {
        if (command.WorkingDirectory is not { } directory) return null;
        var full = Path.GetFullPath(directory);
        if (File.Exists(full)) throw new WorkingDirectoryException(command, directory, "is not a directory");
        if (!Directory.Exists(full)) throw new WorkingDirectoryException(command, directory, "does not exist");
        return full;
    }

    private PipeReader? Reader(OutputTarget target, OutputSource source, (FileStream, SafeFileHandle)? pipe, IReadOnlyList<IOutputSink> sinks) =>
        pipe is not { } hostEnd ? null : PipeReader.Create(_command, target, source, hostEnd, sinks, _idleClock, () => ++_sequence, ResumeReaders,
            closed => OnStreamClosed(closed));

    private void ConnectStdin(StdioHandles stdio)
    {
        if (stdio.StdinPipe is not { } pipe) return;
        stdio.StdinPipe = null;
        if (_command.Stdin.Kind == StdinSource.SourceKind.Pipe) StandardInput = pipe.Stream;
        else _ = FeedStdinAsync(pipe.Stream);
    }

    private async Task FeedStdinAsync(FileStream stdin)
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

    // Under the lock, before any callback can come: the exit wait, the readers, the feeders, the timers.
    private void Begin()
    {
        _exitWait = ThreadPool.UnsafeRegisterWaitForSingleObject(new ProcessWaitHandle(_process),
            static (state, _) => ((WindowsRun)state!).OnLeaderExited(), this, Timeout.Infinite, executeOnlyOnce: true);
        foreach (var reader in _readers)
        {
            if (reader.Feeder is { } feeder)
            {
                _openFeeders++;
                _ = FeedAsync(feeder);
            }
            _ = ReadAsync(reader);
        }
        if (_command.Timeout is { } timeout)
            _deadlineTimer = new RunTimer(_gate, timeout - Stopwatch.GetElapsedTime(_startTimestamp), OnDeadline);
        if (_command.IdleTimeout is { } idle) _idleTimer = new RunTimer(_gate, idle, OnIdleCheck);
    }

    private async Task ReadAsync(PipeReader reader)
    {
        await Task.Yield(); // off the starting thread, which holds the lock
        Exception? failure = null;
        try
        {
            while (true)
            {
                Task? resumed;
                Memory<byte> buffer = default;
                lock (_gate)
                {
                    if (reader.Stopping || _phase == Phase.Finished) break;
                    resumed = reader.WaitWhilePaused();
                    if (resumed is null) buffer = reader.NextBuffer();
                }
                if (resumed is not null)
                {
                    await resumed.ConfigureAwait(false);
                    continue;
                }
                var n = await reader.Pipe.ReadAsync(buffer, reader.StopToken).ConfigureAwait(false);
                lock (_gate)
                {
                    // Bytes read before a stop are kept; after the end of the run nothing is touched any more.
                    if (n == 0 || _phase == Phase.Finished) break;
                    reader.Accept(buffer, n);
                    if (reader.Capture is { LimitExceeded: true, LimitAction: OutputLimitAction.Terminate } && _phase == Phase.Running)
                        BeginTermination(Outcome.OutputLimitExceeded, immediately: false);
                }
            }
        }
        catch (Exception exception) when (reader.Stopping && exception is OperationCanceledException or IOException or ObjectDisposedException)
        {
            // Stopped by the run: the pending read was canceled on purpose.
        }
#pragma warning disable CA1031 // not swallowed: the run's completion carries it
        catch (Exception exception)
#pragma warning restore CA1031
        {
            failure = exception;
        }
        lock (_gate)
        {
            if (_phase == Phase.Finished)
            {
                reader.End();
                return;
            }
            if (reader.Stopping && failure is null)
            {
                // No read is pending any more: take what the pipe already holds. A writer that still has it open after
                // the kill is outside the job's reach, and what it writes next is lost.
                try
                {
                    reader.DrainAvailable();
                    if (_pipesClosed && reader.WriterStillOpen) _outputIncomplete = true;
                }
                catch (IOException exception)
                {
                    failure = exception;
                }
            }
            reader.End();
            if (failure is not null) FailOutput(new IOException($"Reading the {reader.Source} pipe failed: {failure.Message}", failure));
            else OnOutputEnded();
        }
    }

    private async Task FeedAsync(SinkFeeder feeder)
    {
        await Task.Yield();
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
        lock (_gate)
        {
            _openFeeders--;
            if (failure is not null) FailOutput(new IOException($"Delivering the output of '{_command}' to its target failed: {failure.Message}", failure));
            else OnOutputEnded();
        }
    }

    // A consumer took its queue down: read again from every pipe whose consumers all have room. The time spent paused
    // was the consumer's, not the program's silence.
    private void ResumeReaders()
    {
        lock (_gate)
        {
            if (_phase == Phase.Finished || _pipesClosed) return;
            foreach (var reader in _readers)
            {
                if (!reader.Paused || reader.Ended || reader.Queues.Any(q => q.IsFull)) continue;
                _idleClock?.Touch();
                reader.Resume();
            }
        }
    }

    // The caller closed a piped stream nothing else reads: close the pipe too, so the program's writes fail (ERROR_NO_DATA)
    // as when a shell pipeline's reader goes away.
    private void OnStreamClosed(OutputSource source)
    {
        lock (_gate)
        {
            var reader = source == OutputSource.Stdout ? _stdout : _stderr;
            if (reader is null || reader.Ended || reader.Capture is not null || reader.Feeder is not null) return;
            reader.Stop();
        }
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

    private unsafe void OnLeaderExited()
    {
        lock (_gate)
        {
            if (_leaderExited || _phase == Phase.Finished) return;
            uint code;
            _exitCode = Kernel32.GetExitCodeProcess(_process, &code) ? unchecked((int)code) : null;
            _leaderExited = true;
            switch (_phase)
            {
                case Phase.Running when AllOutputEnded:
                    Finish();
                    break;
                case Phase.Running:
                    _phase = Phase.Draining;
                    _phaseTimer = new RunTimer(_gate, _command.DrainTimeout, OnDrainTimer);
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
        if (_readers.Any(r => r.Paused)) _idleClock!.Touch();
        var silent = Stopwatch.GetElapsedTime(_idleClock!.LastProgress);
        if (silent >= idle) BeginTermination(Outcome.IdleTimedOut, immediately: false);
        else _idleTimer = new RunTimer(_gate, idle - silent, OnIdleCheck);
    }

    // Ctrl+Break goes to the process group whose id is the main process's pid. Sent only while the main process lives (we
    // hold its handle, so its pid is not reused): Windows sends an event for a group id nobody leads to the whole console.
    private bool SendBreak() => !_leaderExited && Kernel32.GenerateConsoleCtrlEvent(Kernel32.CTRL_BREAK_EVENT, (uint)ProcessId);

    private void BeginTermination(Outcome reason, bool immediately)
    {
        _endReason = reason;
        // No console shared with the program (a host without one), or the kill asked for: no graceful step to wait for.
        if (immediately || _command.GracePeriod == TimeSpan.Zero || _command.TerminationSignal == Signals.Kill || !SendBreak())
        {
            KillAll();
            return;
        }
        _phase = Phase.Graceful;
        _phaseTimer = new RunTimer(_gate, _command.GracePeriod, KillAll);
    }

    private void KillAll()
    {
        _phaseTimer?.Cancel();
        _phase = Phase.Killing;
        if (_job.Terminate()) _forced = true;
        if (_leaderExited && AllOutputEnded)
        {
            Finish();
            return;
        }
        _phaseTimer = new RunTimer(_gate, PostKillDrain, () =>
        {
            ClosePipes();
            if (_leaderExited) FinishOnceSinksDone();
        });
    }

    // The main process ended within the grace period and the pipes are closed; whatever of the job ignored Ctrl+Break
    // is killed now rather than left behind.
    private void EndGracefully()
    {
        _phaseTimer?.Cancel();
        if (_job.Terminate()) _forced = true;
        Finish();
    }

    // Output still flowing to a consumer that is slower than the program is not a pipe held by a stray descendant:
    // the drain period starts again rather than cut the consumer off.
    private void OnDrainTimer()
    {
        var consumerBehind = _readers.Any(r => r.Paused) || (_readers.All(r => r.Ended) && _openFeeders > 0);
        if (consumerBehind) _phaseTimer = new RunTimer(_gate, _command.DrainTimeout, OnDrainTimer);
        else OnDrainExpired();
    }

    private void OnDrainExpired()
    {
        _phaseTimer?.Cancel();
        _outputIncomplete = true;
        _job.Terminate();
        ClosePipes();
        FinishOnceSinksDone();
    }

    private bool AllOutputEnded => _readers.All(r => r.Ended) && (_openFeeders == 0 || _feedersAbandoned);

    // Stops reading the pipes; each reader takes what is already in its pipe, then ends (see ReadAsync). Output still held
    // open by a writer outside the job (a process that got the pipe from elsewhere) is marked incomplete rather than allowed
    // to hold the call.
    private void ClosePipes()
    {
        _pipesClosed = true;
        foreach (var reader in _readers) reader.Stop();
    }

    // The pipes are closing; the readers end within moments, the streams and callbacks finish what was read within a bound.
    private void FinishOnceSinksDone()
    {
        if (AllOutputEnded)
        {
            Finish();
            return;
        }
        _phaseTimer = new RunTimer(_gate, SinkBound, () =>
        {
            _outputIncomplete = true;
            _feedersAbandoned = true;
            foreach (var reader in _readers) reader.Feeder?.Abandon();
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
        _exitWait?.Unregister(null);
        foreach (var reader in _readers)
        {
            reader.Stop();
            reader.End();
        }
        var usage = _job.Usage();
        var outcome = _endReason ?? (CpuLimitEnded() ? Outcome.CpuLimitExceeded : Outcome.Exited);
        _job.ReleaseSurvivors();
        _job.Dispose();
        _process.Dispose();
        var stdout = Captured(_stdout);
        var stderr = Captured(_stderr);
        // Unregistering waits for a running callback, which may be waiting for this lock: not here.
        if (_cancellation != default) _ = Task.Run(_cancellation.Dispose);
        if (_outputFailure is not null)
        {
            stdout.Dispose();
            stderr.Dispose();
            _completion.TrySetException(_outputFailure);
            return;
        }
        _completion.TrySetResult(new RunResult(_command, ProcessId, outcome, _exitCode, signal: null, _forced, _outputIncomplete,
            stdout, stderr, StartedAt, Stopwatch.GetElapsedTime(_startTimestamp)) { Usage = usage });
    }

    // The job ends a process past its CPU limit by itself (exit status not documented): the main process ended, not by
    // Timebox and not with 0, having used its whole user-mode time limit.
    private unsafe bool CpuLimitEnded()
    {
        if (_command.Limits?.MaxCpuTime is not { } max || !_leaderExited || _exitCode is 0 or null) return false;
        long creation, exit, kernel, user;
        return Kernel32.GetProcessTimes(_process, &creation, &exit, &kernel, &user) && TimeSpan.FromTicks(user) >= max - CpuLimitTolerance;
    }

    private CapturedOutput Captured(PipeReader? reader) =>
        reader?.Capture is { } capture ? new CapturedOutput(capture.TakeContent(), _command.Encoding) : CapturedOutput.None(_command.Encoding);

    /// <summary>The process handle as a wait handle for the thread pool's wait, not owning it (the run closes it).</summary>
    private sealed class ProcessWaitHandle : WaitHandle
    {
        public ProcessWaitHandle(SafeWaitHandle process) => SafeWaitHandle = new SafeWaitHandle(process.DangerousGetHandle(), ownsHandle: false);
    }
}
