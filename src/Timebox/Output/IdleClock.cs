using System.Diagnostics;

namespace Timebox.Output;

/// <summary>When a run last showed progress: any output byte, or with a progress predicate only a matching line.</summary>
internal sealed class IdleClock(Func<string, bool>? isProgress)
{
    public long LastProgress { get; private set; } = Stopwatch.GetTimestamp();

    public Func<string, bool>? IsProgress => isProgress;

    public void Touch() => LastProgress = Stopwatch.GetTimestamp();
}
