using System.Runtime.InteropServices;

namespace Timebox.Platform.Unix;

/// <summary>
/// struct rusage (64-bit Linux: two timevals, then longs; ru_maxrss in KiB): what the kernel hands over when a child is
/// reaped, and this process's own peak resident set.
/// </summary>
internal static unsafe partial class Rusage
{
    public const int Size = 144;
    private const int RusageSelf = 0;
    private const int MaxRssOffset = 32;

    // glibc's waitid has no rusage argument; the system call has (the fifth), so it is called directly.
    private static readonly long SysWaitid = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? 95 : 247;

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall(long number, long a, long b, long c, long d, long e);

    [LibraryImport("libc", EntryPoint = "getrusage")]
    private static partial int GetRusage(int who, byte* usage);

    /// <summary>waitid(2) as the kernel has it, with the reaped child's rusage written to <paramref name="usage"/>.</summary>
    public static int Waitid(int idType, int id, byte* info, int options, byte* usage) =>
        (int)Syscall(SysWaitid, idType, id, (long)info, options, (long)usage);

    /// <summary>The largest resident set this process has had so far (its own and any exec'd-over memory), in bytes.</summary>
    public static long PeakOfThisProcess()
    {
        var usage = stackalloc byte[Size];
        return GetRusage(RusageSelf, usage) == 0 ? *(long*)(usage + MaxRssOffset) * 1024 : 0;
    }

    /// <summary>Reads a filled rusage: CPU times, and the peak resident set compared with the host's (see <see cref="ResourceUsage.PeakResidentSetIsUpperBound"/>).</summary>
    public static ResourceUsage ToUsage(byte* usage, long hostPeakBytes)
    {
        static TimeSpan Time(byte* timeval) =>
            TimeSpan.FromTicks((*(long*)timeval * TimeSpan.TicksPerSecond) + (*(long*)(timeval + 8) * TimeSpan.TicksPerMicrosecond));
        var peak = *(long*)(usage + MaxRssOffset) * 1024;
        return new ResourceUsage(Time(usage), Time(usage + 16), peak, peak <= hostPeakBytes);
    }
}
