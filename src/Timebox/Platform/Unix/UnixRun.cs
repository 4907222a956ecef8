using System.Diagnostics;
using System.IO.Pipes;
using Microsoft.Win32.SafeHandles;
using Timebox.Execution;
using Timebox.Output;

namespace Timebox.Platform.Unix;

/// <summary>
/// One run on Linux or macOS: a <see cref="RunStateMachine{TReader}"/> driven only by the <see cref="EventLoop"/> thread
/// (leader exit through its pidfd or kqueue, output pipes, deadline, idle, grace and drain timers), so it needs no locks
/// and no thread of its own.
/// </summary>
/// <remarks>
/// The leader is reaped only in <see cref="ReleaseTree"/>, after every signal to its process group has been sent, so the
/// group id can never be a recycled pid when we signal it.
/// </remarks>
internal sealed class UnixRun : RunStateMachine<NonBlockingPipeReader>
{
    private readonly EventLoop _loop;
    private readonly ProcessTree _tree;
    private readonly ChildProcess _leader;
    private readonly RunConfinement _confinement;

    // The child's write ends of the pipes that are only captured, kept open in the host until the leader's exit is read,
    // so that its pipes end just after its exit is known instead of just before: a child's exit closes its descriptors
    // before its pidfd becomes readable, and each pipe's hang-up woke the waiting thread once more (context switches and
    // medians in bench/NOTES.md).
    // Nothing can see the difference: captured output is handed over only when the run has finished, after the leader.
    private int[] _heldWriteEnds = [];

    // Paused pipes (their consumers are behind) whose writers are all gone: what they hold is all there will be.
    private readonly List<NonBlockingPipeReader> _hungUp = new(2);

    private UnixRun(Command command, EventLoop loop, int pid, int pidfd, RunConfinement confinement, long startTimestamp, RedirectionPlan plan,
        IReadOnlyList<IOutputSink> stdoutSinks, IReadOnlyList<IOutputSink> stderrSinks)
        : base(command, pid, startTimestamp)
    {
        _loop = loop;
        _leader = new ChildProcess(pid, pidfd);
        _confinement = confinement;
        _tree = new ProcessTree(_leader, confinement.Containment);
        AttachReaders(Reader(command.Stdout, OutputSource.Stdout, RedirectionPlan.TakeReadEnd(ref plan.StdoutParent), stdoutSinks),
            Reader(command.Stderr, OutputSource.Stderr, RedirectionPlan.TakeReadEnd(ref plan.StderrParent), stderrSinks));
    }

    /// <summary>Starts the command; its run is driven by <paramref name="loop"/> (the shared loop, or the calling thread's for a blocking run).</summary>
    public static UnixRun Start(Command command, EventLoop loop, CancellationToken cancellationToken) =>
        Start(Prepare(command), loop, cancellationToken);

    /// <summary>Takes from the host what the start of <paramref name="command"/> needs (see <see cref="PreparedStart{TProgram, TStdio}"/>).</summary>
    public static PreparedStart<UnixProgram, RedirectionPlan> Prepare(Command command) =>
        PreparedStart<UnixProgram, RedirectionPlan>.Of(command, UnixSpillFiles.Instance, UnixProgram.Locate, static command => new RedirectionPlan(command));

    /// <summary>Spawns what <paramref name="prepared"/> holds, on this thread, which waits until the child has exec'd.</summary>
    public static UnixRun Start(PreparedStart<UnixProgram, RedirectionPlan> prepared, EventLoop loop, CancellationToken cancellationToken)
    {
        using var start = prepared;
        var command = start.Command;
        var plan = start.Stdio;
        var startTimestamp = Stopwatch.GetTimestamp();
        var request = new SpawnRequest(command, start.Program.Path, start.WorkingDirectory, start.Program.Environment,
            plan.ChildStdin, plan.ChildStdout, plan.ChildStderr, SpawnOptions.Default);
        var pid = RunConfinement.Spawn(request, out var pidfd, out var confinement);
        var drivenHere = loop.IsLoopThread;
        // Only for a run its caller's thread drives, one at a time per thread: the shared loop may carry thousands of runs,
        // whose descriptors this would add to (one more per captured stream) on the way to RLIMIT_NOFILE. Nor would it gain:
        // there the pipes' hang-ups wake the loop while the child is still exiting, ahead of its pidfd, and holding them
        // made RunAsync slower, not faster, against Process's WaitForExitAsync (bench/NOTES.md).
        var heldWriteEnds = drivenHere ? plan.TakeCapturedWriteEnds() : [];
        plan.CloseChildEnds();

        var run = new UnixRun(command, loop, pid, pidfd, confinement, startTimestamp, plan, start.StdoutSinks, start.StderrSinks) { _heldWriteEnds = heldWriteEnds };
        start.HandOver();
        run.ConnectStdin(plan);
        run.StartFeeders();
        if (drivenHere) run.Begin();
        else run.PostBegin();
        run.TerminateOnCancel(cancellationToken);
        return run;
    }

    // A timer needs the loop awake to count it down, and a leader without a pidfd has ended already: both need the loop
    // now. Otherwise the first event of the leader or of a pipe is soon enough for the loop to start watching them.
    private void PostBegin()
    {
        if (Command.Timeout is not null || Command.IdleTimeout is not null || _leader.Pidfd < 0)
        {
            _loop.Post(Begin);
            return;
        }
        Span<int> fds = stackalloc int[1 + Readers.Length];
        fds[0] = _leader.Pidfd;
        for (var i = 0; i < Readers.Length; i++) fds[i + 1] = Readers[i].Fd;
        _loop.PostWatching(Begin, fds);
    }

    protected override void Post(Action step) => _loop.Post(step);

    protected override IRunTimer Schedule(TimeSpan delay, Action action) => _loop.Schedule(delay, action);

    protected override void StartWatching()
    {
        _loop.WatchExit(_leader, OnLeaderExited);
        foreach (var reader in Readers) Watch(reader);
    }

    protected override (int? ExitCode, int? Signal) ReadLeaderExit()
    {
        _loop.UnwatchExit(_leader);
        var status = _leader.ReadExitStatus();
        CloseHeldWriteEnds();
        return (status.ExitCode, status.Signal);
    }

    protected override void SignalProcesses(int signal, bool entireGroup)
    {
        if (entireGroup) Libc.kill(-ProcessId, signal);
        else _tree.SignalLeader(signal);
    }

    protected override bool SignalGracefully()
    {
        _loop.Terminations.Signal(_tree, Command.TerminationSignal);
        return true;
    }

    protected override void KillTree(Action<bool> onKilled) => _loop.Terminations.Kill(_tree, forcefullyKilled => onKilled(forcefullyKilled > 0));

    protected override void ResumeReading(NonBlockingPipeReader reader)
    {
        _hungUp.Remove(reader);
        reader.Paused = false;
        Watch(reader);
    }

    protected override void StopReading(NonBlockingPipeReader reader, bool takeRest)
    {
        if (takeRest)
        {
            try
            {
                if (!reader.ReadAvailable(ignorePause: true)) MarkOutputIncomplete();
            }
            catch (IOException exception)
            {
                RecordOutputFailure(exception);
            }
        }
        Close(reader);
    }

    protected override void EndReading(NonBlockingPipeReader reader) => Close(reader);

    protected override (ResourceUsage? Usage, Outcome? LimitOutcome, int Reached) ReleaseTree()
    {
        _loop.Terminations.Flush(_tree);
        CloseHeldWriteEnds();
        _confinement.Release(_loop, _tree);
        var usage = _leader.Reap(_confinement.HostPeakBytes);
        var reached = _tree.ReachedCount + 1;
        _tree.Dispose();
        return (usage, LimitOutcome.Of(Command.Limits, ExitSignal, usage, _confinement.MemoryLimitExceeded), reached);
    }

    private void CloseHeldWriteEnds()
    {
        foreach (var fd in _heldWriteEnds) Libc.close(fd);
        _heldWriteEnds = [];
    }

    private NonBlockingPipeReader? Reader(OutputTarget target, OutputSource source, int fd, IReadOnlyList<IOutputSink> sinks) =>
        fd < 0 ? null : new NonBlockingPipeReader(fd, Consumers(target, source, sinks, UnixSpillFiles.Instance));

    private void ConnectStdin(RedirectionPlan plan)
    {
        if (plan.StdinParent < 0) return;
        var stdin = new AnonymousPipeClientStream(PipeDirection.Out, new SafePipeHandle(plan.StdinParent, ownsHandle: true));
        plan.StdinParent = -1;
        AttachStdin(stdin);
    }

    private void Watch(NonBlockingPipeReader reader) => _loop.Watch(reader.Fd, flags => OnReadable(reader, flags));

    // Runs on every readiness event of a pipe: it reaches the state machine by direct calls only, and allocates nothing.
    private void OnReadable(NonBlockingPipeReader reader, uint flags)
    {
        bool ended;
        try
        {
            ended = _loop.IsEndOfStreamOnly(flags) || reader.ReadAvailable();
        }
#pragma warning disable CA1031 // not swallowed: the run's completion carries it
        catch (Exception exception)
#pragma warning restore CA1031
        {
            FailOutput(exception);
            return;
        }
        CheckCapture(reader);
        if (ended)
        {
            Close(reader);
            OnOutputEnded();
        }
        else if (reader.Paused && !_loop.WatchHangUp(reader.Fd, () => OnPausedPipeHungUp(reader)))
        {
            _loop.Unwatch(reader.Fd);
        }
    }

    private void OnPausedPipeHungUp(NonBlockingPipeReader reader)
    {
        _hungUp.Add(reader);
        OnPausedOutputHungUp();
    }

    protected override bool OnlyUnreadOutputLeft
    {
        get
        {
            foreach (var reader in Readers)
                if (!reader.Ended && !_hungUp.Contains(reader)) return false;
            return true;
        }
    }

    private void Close(NonBlockingPipeReader reader)
    {
        _loop.Unwatch(reader.Fd);
        reader.Close();
    }
}
