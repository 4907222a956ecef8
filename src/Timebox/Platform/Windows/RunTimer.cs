using System.Diagnostics;
using Timebox.Execution;

namespace Timebox.Platform.Windows;

/// <summary>
/// A one-shot timer of a Windows run (a thread-pool timer, no thread of its own). Its action runs under the run's lock and
/// never after <see cref="Cancel"/>, which is called under that lock, so a canceled timer cannot act on a later phase.
/// </summary>
internal sealed class RunTimer : IRunTimer, IDisposable
{
    // System.Threading.Timer takes at most 0xfffffffe ms; a longer wait is made of several.
    private static readonly TimeSpan LongestWait = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    private readonly Lock _gate;
    private readonly Action _action;
    private readonly long _start = Stopwatch.GetTimestamp();
    private readonly TimeSpan _due;
    private readonly Timer _timer;
    private bool _canceled;

    public RunTimer(Lock gate, TimeSpan due, Action action)
    {
        _gate = gate;
        _action = action;
        _due = due > TimeSpan.Zero ? due : TimeSpan.Zero;
        _timer = new Timer(static state => ((RunTimer)state!).Fire(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        Arm(_due);
    }

    public void Cancel()
    {
        _canceled = true;
        _timer.Dispose();
    }

    public void Dispose() => Cancel();

    private void Arm(TimeSpan wait) => _timer.Change(wait < LongestWait ? wait : LongestWait, Timeout.InfiniteTimeSpan);

    private void Fire()
    {
        lock (_gate)
        {
            if (_canceled) return;
            var remaining = _due - Stopwatch.GetElapsedTime(_start);
            if (remaining > TimeSpan.Zero)
            {
                Arm(remaining);
                return;
            }
            Cancel();
            _action();
        }
    }
}
