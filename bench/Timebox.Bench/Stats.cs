using System.Globalization;

namespace Timebox.Bench;

/// <summary>Per-run times of one competitor in one row, and what the table shows of them.</summary>
internal sealed class Samples(string competitor)
{
    private readonly List<double> _values = [];

    public string Competitor { get; } = competitor;

    public void Add(double value) => _values.Add(value);

    public void AddRange(IEnumerable<double> values) => _values.AddRange(values);

    public int Count => _values.Count;

    public double Median => Percentile(0.5);

    public double P99 => Percentile(0.99);

    public double Percentile(double fraction)
    {
        if (_values.Count == 0) return double.NaN;
        var sorted = _values.Order().ToList();
        return sorted[(int)Math.Min(sorted.Count - 1, Math.Floor(fraction * sorted.Count))];
    }

    public static string Format(double value) => double.IsNaN(value) ? "—" : value.ToString("0", CultureInfo.InvariantCulture);

    // Two decimals, except below 0.1, where they would round a 268-fold gap (the tree kill's) to "0.00x".
    public static string Ratio(double value, double baseline) =>
        baseline > 0 && !double.IsNaN(value) ? (value / baseline).ToString(value / baseline < 0.1 ? "0.0000" : "0.00", CultureInfo.InvariantCulture) + "x" : "—";
}
