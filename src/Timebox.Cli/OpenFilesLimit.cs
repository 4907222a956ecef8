using System.Runtime.InteropServices;
using Timebox.Platform.Unix;

namespace Timebox.Cli;

/// <summary>
/// GNU timeout needs no descriptor of its own after start-up; timebox needs a few (its event loop, the signal pipe, the
/// command's pidfd, output relays, /proc reads), so under a low limit (`ulimit -n 5`) it raises its own where allowed
/// (the soft limit up to the hard one, or both when privileged), and the command gets the caller's limits back before
/// exec: it runs under exactly what it would under GNU timeout. Where the limit cannot be raised and a descriptor runs
/// out, timebox fails as its own error (exit status 125, "Too many open files"), never as the command's.
/// </summary>
internal static unsafe partial class OpenFilesLimit
{
    // Linux's RLIMIT_NOFILE; raised only where the command can get the caller's back (HostedRun.CanSetCommandLimits).
    private const int Resource = 7;
    private const ulong Wanted = 64;

    [LibraryImport("libc", SetLastError = true)] private static partial int getrlimit(int resource, ulong* limit);
    [LibraryImport("libc", SetLastError = true)] private static partial int setrlimit(int resource, ulong* limit);

    /// <summary>The caller's soft and hard limits, which the command must get back (<see cref="HostedRunOptions.OpenFilesLimit"/>); null when timebox did not change them.</summary>
    public static (ulong Soft, ulong Hard)? Original { get; private set; }

    /// <summary>Raises this process's limit to what timebox needs, where it is lower and may be raised. Call before anything opens a descriptor.</summary>
    public static void RaiseIfLow()
    {
        if (!HostedRun.CanSetCommandLimits) return;
        var limit = stackalloc ulong[2];
        if (getrlimit(Resource, limit) != 0 || limit[0] >= Wanted) return;
        var (soft, hard) = (limit[0], limit[1]);
        limit[0] = Wanted;
        limit[1] = Math.Max(hard, Wanted);
        // Above the hard limit only a privileged process may go; then timebox makes do with the caller's limit.
        if (setrlimit(Resource, limit) == 0) Original = (soft, hard);
    }
}
