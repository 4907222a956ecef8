using System.Runtime.InteropServices;
using Timebox.Platform.Unix;

namespace Timebox.Cli;

/// <summary>What the timebox process does to itself: its process group, subreaper status, resource usage and dying of a signal.</summary>
internal static unsafe partial class HostProcess
{
    private const int PR_SET_DUMPABLE = 4, PR_SET_CHILD_SUBREAPER = 36;
    private const int RUSAGE_CHILDREN = -1;
    private const int SIG_UNBLOCK = 1;

    [LibraryImport("libc", SetLastError = true)] private static partial int setpgid(int pid, int pgid);
    [LibraryImport("libc", SetLastError = true)] private static partial int prctl(int option, nint argument2, nint argument3, nint argument4, nint argument5);
    [LibraryImport("libc")] private static partial int getrusage(int who, byte* usage);
    [LibraryImport("libc", SetLastError = true)] private static partial int sigaction(int signal, byte* action, byte* oldAction);
    [LibraryImport("libc")] private static partial nint signal(int signal, nint handler);
    [LibraryImport("libc")] private static partial int pthread_sigmask(int how, ulong* set, ulong* oldSet);

    /// <summary>Makes this process lead a new process group (the command joins it), as GNU timeout does unless --foreground. Fails harmlessly for a session leader.</summary>
    public static void LeadNewProcessGroup() => setpgid(0, 0);

    /// <summary>
    /// Ignores SIGTTIN and SIGTTOU here, as GNU timeout does: when the command, in timebox's background process group,
    /// touches the terminal, the kernel stops the whole group, and timebox must stay awake to time it out.
    /// </summary>
    public static void IgnoreTerminalStops()
    {
        const int ttyIn = 21, ttyOut = 22;
        const nint ignore = 1; // SIG_IGN
        signal(ttyIn, ignore);
        signal(ttyOut, ignore);
    }

    /// <summary>Orphaned descendants (double forks, daemons) are re-parented to this process instead of init, so they stay findable.</summary>
    public static bool BecomeChildSubreaper() => prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0;

    /// <summary>CPU time and peak memory of every reaped descendant (Linux keeps the largest resident set, not a sum).</summary>
    public static (TimeSpan User, TimeSpan System, long PeakRssBytes) ChildrenUsage()
    {
        var usage = stackalloc byte[144];
        new Span<byte>(usage, 144).Clear();
        getrusage(RUSAGE_CHILDREN, usage);
        static TimeSpan Time(byte* timeval) => TimeSpan.FromTicks((*(long*)timeval * TimeSpan.TicksPerSecond) + (*(long*)(timeval + 8) * 10));
        return (Time(usage), Time(usage + 16), *(long*)(usage + 32) * 1024);
    }

    /// <summary>
    /// Ends this process by <paramref name="signal"/> so that a parent shell sees the same status the command had
    /// (core dumps disabled first, as GNU does). Returns only if that is impossible: as PID 1, a signal to oneself is ignored.
    /// </summary>
    public static void DieOf(int signal)
    {
        if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) return;
        var action = stackalloc byte[152];
        new Span<byte>(action, 152).Clear(); // SIG_DFL
        sigaction(signal, action, null);
        var set = 1UL << (signal - 1);
        pthread_sigmask(SIG_UNBLOCK, &set, null);
        // With the default action and this thread unblocked, the kernel ends the whole process before kill returns.
        HostedRun.SignalSelf(signal);
    }
}
