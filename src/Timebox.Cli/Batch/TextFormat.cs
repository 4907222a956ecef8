using System.Globalization;

namespace Timebox.Cli;

/// <summary>Short human forms of times and rates for the batch views (invariant culture).</summary>
internal static class TextFormat
{
    /// <summary>0.123s, 12.3s, 2m03s, 1h02m.</summary>
    public static string Duration(TimeSpan time)
    {
        var seconds = time.TotalSeconds;
        if (seconds < 10) return seconds.ToString("0.000", CultureInfo.InvariantCulture) + "s";
        if (seconds < 60) return seconds.ToString("0.0", CultureInfo.InvariantCulture) + "s";
        if (seconds < 3600) return $"{Number((int)time.TotalMinutes)}m{time.Seconds.ToString("00", CultureInfo.InvariantCulture)}s";
        return $"{Number((int)time.TotalHours)}h{time.Minutes.ToString("00", CultureInfo.InvariantCulture)}m";
    }

    /// <summary>A clock: 0:07, 12:34, 1:02:03.</summary>
    public static string Clock(TimeSpan time) => time.TotalHours >= 1
        ? $"{Number((int)time.TotalHours)}:{time.Minutes.ToString("00", CultureInfo.InvariantCulture)}:{time.Seconds.ToString("00", CultureInfo.InvariantCulture)}"
        : $"{Number((int)time.TotalMinutes)}:{time.Seconds.ToString("00", CultureInfo.InvariantCulture)}";

    public static string Rate(double perSecond) => perSecond.ToString(perSecond < 10 ? "0.00" : "0.0", CultureInfo.InvariantCulture);

    public static string Percent(int part, int whole) =>
        (whole == 0 ? 0 : 100.0 * part / whole).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    public static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Number(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);
}
