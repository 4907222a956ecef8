namespace Timebox.Output;

/// <summary>When a run last showed progress: any output byte, or with a progress predicate only a matching line.</summary>
internal sealed class IdleClock(Func<string, bool>? isProgress, TimeProvider time)
{
    /// <summary>A timestamp of <see cref="TimeProvider.GetTimestamp"/> on the run's clock.</summary>
    public long LastProgress { get; private set; } = time.GetTimestamp();

    public Func<string, bool>? IsProgress => isProgress;

    public void Touch() => LastProgress = time.GetTimestamp();
}
