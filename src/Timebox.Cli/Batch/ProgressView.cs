namespace Timebox.Cli;

/// <summary>
/// The progress of a batch on stdout: a live view redrawn in place on a terminal, one line per finished job
/// otherwise, or nothing. Notices (stopping, malformed lines) go to stderr through <see cref="Messages"/>.
/// </summary>
internal abstract class ProgressView : IDisposable
{
    /// <param name="mode">How to show it.</param>
    /// <param name="tally">What ended so far.</param>
    /// <param name="running">The attempts in flight now, longest-running first (the live view lists the slowest).</param>
    public static ProgressView Create(ProgressMode mode, BatchTally tally, Func<IReadOnlyList<RunningBatchJob>> running) => mode switch
    {
        ProgressMode.None => new SilentProgress(),
        ProgressMode.Live => new LiveProgress(tally, running),
        ProgressMode.Plain => new PlainProgress(tally),
        _ => Terminal.StdoutIsTerminal ? new LiveProgress(tally, running) : new PlainProgress(tally),
    };

    /// <summary>True when the view draws with ANSI colors (then the summary table may too).</summary>
    public virtual bool UsesColor => false;

    /// <summary>An attempt ended (already counted in the tally).</summary>
    public abstract void OnAttempt(AttemptRecord attempt);

    /// <summary>A line to show above the progress (a live view keeps it on screen; the others print it as it comes).</summary>
    public virtual void Notice(string text) => Messages.Error(text);

    /// <summary>The batch is over: the live view clears itself so the summary follows.</summary>
    public virtual void End() { }

    public virtual void Dispose() => GC.SuppressFinalize(this);

    private sealed class SilentProgress : ProgressView
    {
        public override void OnAttempt(AttemptRecord attempt) { }
    }
}
