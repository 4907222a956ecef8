namespace Timebox.Hangfire;

/// <summary>
/// Lanes for the HTML timeline of a distributed batch, whose results name no worker slot: each attempt takes the
/// first lane free at its start, so attempts that overlapped in time never share one.
/// </summary>
internal sealed class TimelineLanes
{
    private readonly List<DateTimeOffset> _freeFrom = [];

    public int Take(DateTimeOffset start, TimeSpan duration)
    {
        var lane = _freeFrom.FindIndex(free => free <= start);
        if (lane < 0)
        {
            lane = _freeFrom.Count;
            _freeFrom.Add(default);
        }
        _freeFrom[lane] = start + duration;
        return lane;
    }
}
