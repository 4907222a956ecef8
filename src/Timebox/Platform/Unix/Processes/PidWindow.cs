using System.Diagnostics;
using System.Globalization;

namespace Timebox.Platform.Unix;

/// <summary>
/// Which pids can belong to processes created after a given one (Linux). The kernel hands pids out in increasing order,
/// wrapping at pid_max, so until the cursor (<see cref="PidCursor"/>) wraps, everything created after a process has a
/// larger pid. A run's tree (its descendants, its fresh process group, its cgroup and adopted orphans) was all created
/// after its leader, so a sweep can skip, by name alone, the /proc entries of every older process on the machine.
/// </summary>
/// <remarks>
/// The cursor alone cannot tell one wrap-around from none after a full circle, so the window is used only while the
/// leader is young enough that not even half of pid_max pids can have been handed out since, at a generous
/// <see cref="MaxCreationsPerSecond"/>.
/// </remarks>
internal static class PidWindow
{
    // Threads take pids too; ten thousand creations a second is far above what a busy build machine sustains.
    private const double MaxCreationsPerSecond = 10_000;

    // 0 until read, and read again on a later use while the host was out of descriptors; -1 where it cannot be read.
    private static int _pidMax;

    private static int PidMax => _pidMax != 0 ? _pidMax : _pidMax = ReadPidMax();

    /// <summary>
    /// The lowest pid that processes created after <paramref name="first"/> (started at <paramref name="startTimestamp"/>)
    /// can have (<paramref name="first"/> itself), given the <paramref name="cursor"/> just read; null when it cannot be
    /// trusted (no cursor, the cursor has wrapped since, or the run is too old) and every pid must be read.
    /// </summary>
    public static int? After(int first, long startTimestamp, long? cursor)
    {
        if (cursor is not { } last || last < first || PidMax <= 0) return null;
        var age = Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds;
        if (age * MaxCreationsPerSecond >= PidMax / 2.0) return null;
        return first;
    }

    private static int ReadPidMax()
    {
        try
        {
            return int.Parse(File.ReadAllText("/proc/sys/kernel/pid_max").AsSpan().Trim(), NumberStyles.None, CultureInfo.InvariantCulture);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or FormatException or OverflowException)
        {
            return exception is IOException io && Libc.IsDescriptorShortage(io) ? 0 : -1;
        }
    }
}
