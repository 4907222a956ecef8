namespace Timebox.Platform.Unix;

/// <summary>
/// One read-write descriptor on /dev/null for the whole process, for children whose stdin is empty or whose output is
/// discarded: each child gets its own copy (dup2 in the spawn), so it is never closed, and a run does not pay an open,
/// an fstat, two flocks and a close (what File.OpenHandle costs) for it.
/// </summary>
internal static unsafe class NullDevice
{
    private const int OpenReadWrite = 2;
    private static readonly RetryingLazy<int> Descriptor = new(Open);

    /// <exception cref="IOException">/dev/null cannot be opened (now: the next use tries again).</exception>
    public static int Fd => Descriptor.Value;

    private static int Open()
    {
        int fd;
        fixed (byte* path = "/dev/null\0"u8) fd = Libc.open(path, Libc.O_CLOEXEC | OpenReadWrite);
        return fd >= 0 ? fd : throw Libc.Failure("opening /dev/null");
    }
}
