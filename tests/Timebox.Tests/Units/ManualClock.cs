using Timebox.Execution;

namespace Timebox.Tests.Units;

/// <summary>
/// Time that moves only when a test says so: the clock of a <see cref="FakeRun"/> and of its timers, which fire in due
/// order (then in the order they were scheduled) as <see cref="Advance"/> passes their time.
/// </summary>
internal sealed class ManualClock : TimeProvider
{
    private readonly List<Timer> _timers = [];
    private long _now;
    private long _scheduled;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => _now;

    /// <summary>Time since the clock was made.</summary>
    public TimeSpan Now => TimeSpan.FromTicks(_now);

    /// <summary>The delays, from now, of the timers not yet fired nor canceled.</summary>
    public IEnumerable<TimeSpan> Pending => _timers.Select(t => TimeSpan.FromTicks(t.Due - _now));

    public IRunTimer Schedule(TimeSpan delay, Action action)
    {
        var timer = new Timer(this, _now + Math.Max(delay.Ticks, 0), _scheduled++, action);
        _timers.Add(timer);
        return timer;
    }

    /// <summary>Moves time on by <paramref name="duration"/>, firing each timer at its due time.</summary>
    /// <exception cref="InvalidOperationException">Timers keep scheduling timers due at once: time would never move on.</exception>
    public void Advance(TimeSpan duration)
    {
        var end = _now + duration.Ticks;
        var firedNow = 0;
        while (_timers.Where(t => t.Due <= end).OrderBy(t => t.Due).ThenBy(t => t.Order).FirstOrDefault() is { } next)
        {
            firedNow = next.Due <= _now ? firedNow + 1 : 0;
            if (firedNow > 1000) throw new InvalidOperationException($"Timers keep firing at {Now} without time moving on.");
            _timers.Remove(next);
            _now = Math.Max(_now, next.Due);
            next.Action();
        }
        _now = end;
    }

    public void Advance(double seconds) => Advance(TimeSpan.FromSeconds(seconds));

    private sealed class Timer(ManualClock clock, long due, long order, Action action) : IRunTimer
    {
        public long Due => due;

        public long Order => order;

        public Action Action => action;

        public void Cancel() => clock._timers.Remove(this);
    }
}
