using Timebox.Execution;

namespace Timebox.Platform.Unix;

/// <summary>A one-shot timer of the <see cref="EventLoop"/>; canceling only marks it, the loop drops it when it comes due.</summary>
internal sealed class LoopTimer(Action action) : IRunTimer
{
    public bool Canceled { get; private set; }

    public void Cancel() => Canceled = true;

    public void Fire()
    {
        Canceled = true;
        action();
    }
}
