using System.Globalization;

namespace Timebox.Bench;

/// <summary>Reads a numeric field ("VmRSS", "Threads") of this process's /proc/self/status.</summary>
internal static class ProcStatus
{
    public static long Kilobytes(string field)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (!line.StartsWith(field + ":", StringComparison.Ordinal)) continue;
            var value = line[(field.Length + 1)..].Trim().Split(' ')[0];
            return long.Parse(value, CultureInfo.InvariantCulture);
        }
        return 0;
    }
}
