namespace Timebox.Platform.Unix;

/// <summary>
/// The last pid the kernel handed out in this pid namespace (the last field of /proc/loadavg). Every process and thread
/// created anywhere, a nested namespace included, moves it; so while it stays the same, nothing was created, and a tree
/// of processes known to be complete, and stopped, is still complete. Reading it costs one pread, where reading the
/// process list costs three system calls per process on the machine.
/// </summary>
/// <remarks>
/// A false "nothing was created" would need the whole pid space to wrap around between two reads a few milliseconds
/// apart. Threads move the cursor too, which only ever makes a caller take its slow path.
/// </remarks>
internal static unsafe class PidCursor
{
    // Opened on first use, and again on a later one while the host was out of descriptors (a host that was so once must
    // not take the slow path for good); Unavailable where it cannot be opened.
    private const int NotOpened = -1, Unavailable = -2;
    private static int _loadavgFd = NotOpened;

    /// <summary>True where there is a cursor to read: Linux (macOS has no /proc).</summary>
    public static bool Exists => OperatingSystem.IsLinux();

    /// <summary>The last pid handed out, or null where it cannot be read (now, or ever: see <see cref="Exists"/>): callers then take their slow path.</summary>
    public static long? Read()
    {
        var fd = Exists ? LoadavgFd() : -1;
        if (fd < 0) return null;
        var buffer = stackalloc byte[128];
        var length = (int)Libc.pread(fd, buffer, 128, 0);
        if (length <= 1) return null;
        var text = new ReadOnlySpan<byte>(buffer, length).TrimEnd((byte)'\n');
        var space = text.LastIndexOf((byte)' ');
        long pid = 0;
        foreach (var digit in text[(space + 1)..])
        {
            if (digit is < (byte)'0' or > (byte)'9') return null;
            pid = (pid * 10) + (digit - '0');
        }
        return pid;
    }

    private static int LoadavgFd()
    {
        var fd = Volatile.Read(ref _loadavgFd);
        if (fd != NotOpened) return fd;
        fixed (byte* path = "/proc/loadavg\0"u8) fd = Libc.open(path, Libc.O_CLOEXEC);
        if (fd < 0)
        {
            if (Libc.Errno is not (Libc.EMFILE or Libc.ENFILE)) Interlocked.CompareExchange(ref _loadavgFd, Unavailable, NotOpened);
            return -1;
        }
        // Loops on several threads may open it at once: one descriptor is kept.
        var kept = Interlocked.CompareExchange(ref _loadavgFd, fd, NotOpened);
        if (kept == NotOpened) return fd;
        Libc.close(fd);
        return kept;
    }
}
