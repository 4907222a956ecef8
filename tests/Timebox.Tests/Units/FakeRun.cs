using System.Globalization;
using System.Text;
using Timebox.Execution;
using Timebox.Output;
using Timebox.Platform.Unix;

namespace Timebox.Tests.Units;

/// <summary>
/// A platform for <see cref="RunStateMachine{TReader}"/> without a process: steps run inline (under a lock, as on
/// Windows), timers run on a <see cref="ManualClock"/>, and the test says what the program and the kernel do (the leader
/// exits, a pipe ends, a kill lands). What the machine asks of the platform is written to <see cref="Events"/>, each with
/// the clock's time in seconds.
/// </summary>
internal sealed class FakeRun : RunStateMachine<FakeReader>
{
    public const int Pid = 4242;

    private readonly Lock _gate = new();
    private readonly ManualClock _clock;
    private readonly List<Action<bool>> _pendingKills = [];
    private (int? Code, int? Signal) _exit;

    private FakeRun(Command command, ManualClock clock) : base(command, Pid, clock.GetTimestamp(), clock)
    {
        _clock = clock;
        Out = Reader(command.Stdout, OutputSource.Stdout);
        Err = command.StderrMerged ? null : Reader(command.Stderr, OutputSource.Stderr);
        AttachReaders(Out, Err);
    }

    public FakeReader? Out { get; }

    public FakeReader? Err { get; }

    public List<string> Events { get; } = [];

    /// <summary>What <see cref="SignalGracefully"/> answers: false for a platform with no graceful step (a Windows host without a console).</summary>
    public bool HasGracefulStep { get; set; } = true;

    /// <summary>What a kill still pending when the run lets go of the tree reports: whether it ended a process that was not dying already.</summary>
    public bool PendingKillForces { get; set; } = true;

    /// <summary>Whether the platform sees a paused pipe hang up (Unix); false as on Windows, which cannot tell.</summary>
    public bool SeesHangUps { get; set; } = true;

    public Outcome? LimitOutcome { get; set; }

    public int ReachedProcesses { get; set; } = 1;

    /// <summary>
    /// Starts as <c>UnixRun.Start</c> does: readers, feeders, then watching and timers, which on the shared loop come
    /// <paramref name="firstStepAfter"/> the spawn; then cancellation.
    /// </summary>
    public static FakeRun Start(Command command, ManualClock clock, CancellationToken cancellationToken = default, TimeSpan firstStepAfter = default)
    {
        var run = new FakeRun(command, clock);
        run.StartFeeders();
        clock.Advance(firstStepAfter);
        run.Begin();
        run.TerminateOnCancel(cancellationToken);
        return run;
    }

    /// <summary>The result, which must be there by now.</summary>
    public RunResult Result
    {
        get
        {
            Assert.True(Completion.IsCompleted, $"the run has not finished; it did: {string.Join(", ", Events)}");
            return Completion.Result;
        }
    }

    public void Exits(int code) => LeaderEnds((code, null));

    public void Dies(int signal) => LeaderEnds((null, signal));

    /// <summary>The program writes <paramref name="text"/>, read in one event, as a pipe reader reads it: into the consumers' next buffer (the capture's free space), then handed over.</summary>
    public void Writes(FakeReader reader, string text) => Post(() =>
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        for (var offset = 0; offset < bytes.Length;)
        {
            var span = reader.Consumers.NextBuffer().Span;
            var count = Math.Min(span.Length, bytes.Length - offset);
            bytes.AsSpan(offset, count).CopyTo(span);
            if (reader.Consumers.Accept(count)) reader.Paused = true;
            offset += count;
        }
        CheckCapture(reader);
    });

    /// <summary>The pipe reaches end-of-file: its last writer closed it.</summary>
    public void Closes(FakeReader reader) => Post(() =>
    {
        reader.End();
        OnOutputEnded();
    });

    /// <summary>A paused pipe has lost its last writer.</summary>
    public void HangsUp(FakeReader reader) => Post(() =>
    {
        reader.HungUp = true;
        OnPausedOutputHungUp();
    });

    /// <summary>The kills asked for so far land: <paramref name="forced"/> if they ended a process that was not dying already.</summary>
    public void KillLands(bool forced) => Post(() => LandKills(forced));

    public void OutputFails(Exception exception) => Post(() => FailOutput(exception));

    protected override void Post(Action step)
    {
        lock (_gate) step();
    }

    protected override IRunTimer Schedule(TimeSpan delay, Action action) => _clock.Schedule(delay, () => Post(action));

    protected override void StartWatching() => Record("watch");

    protected override (int? ExitCode, int? Signal) ReadLeaderExit() => _exit;

    protected override void SignalProcesses(int signal, bool entireGroup) => Record($"signal {signal}{(entireGroup ? " to group" : "")}");

    protected override bool SignalGracefully()
    {
        Record($"graceful {Command.TerminationSignal}");
        return HasGracefulStep;
    }

    protected override void KillTree(Action<bool> onKilled)
    {
        Record("kill");
        _pendingKills.Add(onKilled);
    }

    protected override bool OnlyUnreadOutputLeft =>
        SeesHangUps && Out is not { Ended: false, HungUp: false } && Err is not { Ended: false, HungUp: false };

    protected override void ResumeReading(FakeReader reader)
    {
        Record($"resume {reader.Source}");
        reader.Paused = false;
    }

    protected override void StopReading(FakeReader reader, bool takeRest)
    {
        Record($"stop {reader.Source}{(takeRest ? " taking the rest" : "")}");
        if (takeRest && reader.HeldOpen) MarkOutputIncomplete();
        reader.End();
    }

    protected override void EndReading(FakeReader reader)
    {
        Record($"end {reader.Source}");
        reader.End();
    }

    // As UnixRun's: a kill still pending is carried out first, so its callback comes before the result is made.
    protected override (ResourceUsage? Usage, Outcome? LimitOutcome, int Reached) ReleaseTree()
    {
        LandKills(PendingKillForces);
        Record("release");
        return (null, LimitOutcome, ReachedProcesses);
    }

    private FakeReader? Reader(OutputTarget target, OutputSource source) =>
        target.IsReadByHost ? new FakeReader(source, Consumers(target, source, OutputRoute.OpenSinks(Command, target, source), UnixSpillFiles.Instance)) : null;

    private void LeaderEnds((int? Code, int? Signal) exit) => Post(() =>
    {
        _exit = exit;
        OnLeaderExited();
    });

    private void LandKills(bool forced)
    {
        var kills = _pendingKills.ToArray();
        _pendingKills.Clear();
        foreach (var onKilled in kills) onKilled(forced);
    }

    private void Record(string what) => Events.Add(string.Create(CultureInfo.InvariantCulture, $"{_clock.Now.TotalSeconds:0.###} {what}"));
}
