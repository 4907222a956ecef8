using System.Diagnostics;
using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;
using Timebox.Execution;
using Timebox.Output;

namespace Timebox.Platform.Windows;

/// <summary>
/// One run on Windows, the counterpart of <c>UnixRun</c> on the same <see cref="RunStateMachine{TReader}"/>. No thread of
/// its own: the main process's exit is a thread-pool wait on its handle, timers are thread-pool timers, output comes from
/// overlapped reads. Each of those takes the run's lock, so the state machine runs one step at a time as on the Unix event loop.
/// </summary>
/// <remarks>
/// Windows has no signals. The graceful stop is Ctrl+Break to the program's process group (GenerateConsoleCtrlEvent; a
/// console program's default handler exits with 0xC000013A); the kill is TerminateJobObject, which ends every process of
/// the job, descendants that left the group or the console included, with exit code <see cref="JobObject.KilledExitCode"/>.
/// <see cref="RunResult.Signal"/> is always null; a killed main process reports <see cref="RunResult.ExitCode"/> 1 and
/// <see cref="RunResult.ForcefullyKilled"/> true.
/// </remarks>
[SupportedOSPlatform("windows")]
internal sealed class WindowsRun : RunStateMachine<OverlappedPipeReader>
{
    // The job's CPU limit is checked periodically: a main process it ended used at least about that much user time.
    private static readonly TimeSpan CpuLimitTolerance = TimeSpan.FromMilliseconds(100);

    private readonly Lock _gate = new();
    private readonly JobObject _job;
    private readonly SafeWaitHandle _process;
    private RegisteredWaitHandle? _exitWait;

    private WindowsRun(Command command, SafeWaitHandle process, int pid, JobObject job, long startTimestamp, StdioHandles stdio,
        IReadOnlyList<IOutputSink> stdoutSinks, IReadOnlyList<IOutputSink> stderrSinks)
        : base(command, pid, startTimestamp)
    {
        _process = process;
        _job = job;
        AttachReaders(Reader(command.Stdout, OutputSource.Stdout, stdio.StdoutPipe, stdoutSinks),
            Reader(command.Stderr, OutputSource.Stderr, stdio.StderrPipe, stderrSinks));
        stdio.StdoutPipe = stdio.StderrPipe = null;
    }

    public static WindowsRun Start(Command command, CancellationToken cancellationToken)
    {
        // A Windows command line is UTF-16 text: bytes that are not UTF-8 have no faithful form in it.
        if (command.HasNonUtf8Bytes)
            throw new UnsupportedOptionException(command, nameof(Command.FromBytes), "a Windows command line is UTF-16 text, and these bytes are not UTF-8");
        JobObject.CheckLimits(command);
        using var start = PreparedStart<WindowsProgram, StdioHandles>.Of(command, WindowsSpillFiles.Instance, WindowsProgram.Locate, static command => new StdioHandles(command));
        var stdio = start.Stdio;
        var job = JobObject.Create(command);
        SafeWaitHandle process;
        int pid;
        var startTimestamp = Stopwatch.GetTimestamp();
        try
        {
            (process, pid) = WindowsSpawner.Start(command, start.Program, start.WorkingDirectory, stdio, job);
        }
        catch
        {
            job.Dispose();
            throw;
        }
        stdio.CloseChildHandles();

        var run = new WindowsRun(command, process, pid, job, startTimestamp, stdio, start.StdoutSinks, start.StderrSinks);
        run.ConnectStdin(stdio);
        run.StartFeeders();
        lock (run._gate) run.Begin();
        run.TerminateOnCancel(cancellationToken);
        start.HandOver();
        return run;
    }

    protected override void Post(Action step)
    {
        lock (_gate) step();
    }

    protected override IRunTimer Schedule(TimeSpan delay, Action action) => new RunTimer(_gate, delay, action);

    // Under the lock, before any callback can come.
    protected override void StartWatching()
    {
        _exitWait = ThreadPool.UnsafeRegisterWaitForSingleObject(new ProcessWaitHandle(_process),
            static (state, _) => ((WindowsRun)state!).OnProcessExited(), this, Timeout.Infinite, executeOnlyOnce: true);
        foreach (var reader in Readers) _ = ReadAsync(reader);
    }

    protected override unsafe (int? ExitCode, int? Signal) ReadLeaderExit()
    {
        uint code;
        int? exitCode = Kernel32.GetExitCodeProcess(_process, &code) ? unchecked((int)code) : null;
        return (exitCode, null);
    }

    protected override void SignalProcesses(int signal, bool entireGroup)
    {
        if (signal == 0) return;
        if (signal != Signals.Kill) SendBreak();
        else if (entireGroup) _job.Terminate();
        else Kernel32.TerminateProcess(_process, JobObject.KilledExitCode);
    }

    // No console shared with the program (a host without one), or the kill asked for: no graceful step to wait for.
    protected override bool SignalGracefully() => Command.TerminationSignal != Signals.Kill && SendBreak();

    protected override void KillTree(Action<bool> onKilled) => onKilled(_job.Terminate());

    protected override void ResumeReading(OverlappedPipeReader reader) => reader.Resume();

    // The reader takes what the pipe already holds whether or not it is asked to (see ReadAsync).
    protected override void StopReading(OverlappedPipeReader reader, bool takeRest) => reader.Stop();

    protected override void EndReading(OverlappedPipeReader reader)
    {
        reader.Stop();
        reader.End();
    }

    // The job does not say how many of its processes a termination reached; the main process is what is known.
    protected override (ResourceUsage? Usage, Outcome? LimitOutcome, int Reached) ReleaseTree()
    {
        _exitWait?.Unregister(null);
        var usage = _job.Usage();
        Outcome? limitOutcome = CpuLimitEnded() ? Outcome.CpuLimitExceeded : null;
        _job.ReleaseSurvivors();
        _job.Dispose();
        _process.Dispose();
        return (usage, limitOutcome, 1);
    }

    private OverlappedPipeReader? Reader(OutputTarget target, OutputSource source, (FileStream, SafeFileHandle)? pipe, IReadOnlyList<IOutputSink> sinks) =>
        pipe is not { } hostEnd ? null : new OverlappedPipeReader(hostEnd, Consumers(target, source, sinks, WindowsSpillFiles.Instance));

    private void ConnectStdin(StdioHandles stdio)
    {
        if (stdio.StdinPipe is not { } pipe) return;
        stdio.StdinPipe = null;
        AttachStdin(pipe.Stream);
    }

    private void OnProcessExited()
    {
        lock (_gate) OnLeaderExited();
    }

    private async Task ReadAsync(OverlappedPipeReader reader)
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
                    if (reader.Stopping || IsFinished) break;
                    resumed = reader.WaitWhilePaused();
                    if (resumed is null) buffer = reader.Consumers.NextBuffer();
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
                    if (n == 0 || IsFinished) break;
                    reader.Accept(n);
                    CheckCapture(reader);
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
            if (IsFinished)
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
                    if (PipesClosed && reader.WriterStillOpen) MarkOutputIncomplete();
                }
                catch (IOException exception)
                {
                    failure = exception;
                }
            }
            reader.End();
            if (failure is not null) FailOutput(new IOException($"Reading the {reader.Consumers.Source} pipe failed: {failure.Message}", failure));
            else OnOutputEnded();
        }
    }

    // Ctrl+Break goes to the process group whose id is the main process's pid. Sent only while the main process lives (we
    // hold its handle, so its pid is not reused): Windows sends an event for a group id nobody leads to the whole console.
    private bool SendBreak() => !LeaderExited && Kernel32.GenerateConsoleCtrlEvent(Kernel32.CTRL_BREAK_EVENT, (uint)ProcessId);

    // The job ends a process past its CPU limit by itself (exit status not documented): the main process ended, not by
    // Timebox and not with 0, having used its whole user-mode time limit.
    private unsafe bool CpuLimitEnded()
    {
        if (Command.Limits?.MaxCpuTime is not { } max || !LeaderExited || ExitCode is 0 or null) return false;
        long creation, exit, kernel, user;
        return Kernel32.GetProcessTimes(_process, &creation, &exit, &kernel, &user) && TimeSpan.FromTicks(user) >= max - CpuLimitTolerance;
    }

    /// <summary>The process handle as a wait handle for the thread pool's wait, not owning it (the run closes it).</summary>
    private sealed class ProcessWaitHandle : WaitHandle
    {
        public ProcessWaitHandle(SafeWaitHandle process) => SafeWaitHandle = new SafeWaitHandle(process.DangerousGetHandle(), ownsHandle: false);
    }
}
