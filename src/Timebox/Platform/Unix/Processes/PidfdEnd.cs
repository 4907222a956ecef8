using System.Diagnostics;

namespace Timebox.Platform.Unix;

/// <summary>Whether processes held by pidfd have ended (Linux): a pidfd becomes readable once its process has exited.</summary>
internal static unsafe class PidfdEnd
{
    /// <summary>True once the process of <paramref name="pidfd"/> has exited (zombie or reaped); a closed or invalid pidfd counts as ended.</summary>
    public static bool HasEnded(int pidfd)
    {
        if (pidfd < 0) return true;
        var entry = new PollFd { Fd = pidfd, Events = Libc.POLLIN };
        return Libc.poll(&entry, 1, 0) != 0;
    }

    /// <summary>
    /// Waits until every process of <paramref name="pidfds"/> has exited (a pidfd of -1, as every one is on macOS, is not
    /// waited for), or <paramref name="bound"/> has passed: a process SIGKILLed a moment ago is still alive until the
    /// scheduler lets it run its exit, which on a loaded machine can take milliseconds; one stuck in an uninterruptible
    /// wait can take much longer, hence the bound.
    /// </summary>
    public static void WaitAll(IReadOnlyCollection<int> pidfds, TimeSpan bound)
    {
        if (pidfds.Count == 0) return;
        var entries = new PollFd[pidfds.Count];
        var count = 0;
        foreach (var pidfd in pidfds)
            if (pidfd >= 0) entries[count++] = new PollFd { Fd = pidfd, Events = Libc.POLLIN };
        var start = Stopwatch.GetTimestamp();
        fixed (PollFd* first = entries)
        {
            while (count > 0)
            {
                var left = bound - Stopwatch.GetElapsedTime(start);
                if (left <= TimeSpan.Zero) return;
                if (Libc.poll(first, (nuint)count, (int)Math.Ceiling(left.TotalMilliseconds)) < 0 && Libc.Errno != Libc.EINTR) return;
                // Keep only the entries with nothing to report (readable: exited; POLLNVAL: nothing to wait for), packed at the front.
                var kept = 0;
                for (var i = 0; i < count; i++)
                    if (first[i].ReturnedEvents == 0) first[kept++] = first[i];
                count = kept;
            }
        }
    }
}
