namespace Timebox.Platform.Unix;

/// <summary>
/// A few descriptors kept open for the moment a termination needs them most: when this process has run out (EMFILE), a
/// read of the process list gives them up (it needs two at once: /proc, and each stat file in turn), then takes them
/// back. Without them a host out of descriptors could not find the processes it has to kill. Other threads may take a
/// freed slot first (the runtime itself opens /dev/urandom once, seen here), hence four for two, and still this is a
/// better chance, not a promise: the kill sweep keeps its fallback (see <see cref="ProcessTree.Kill"/>).
/// </summary>
internal static unsafe class DescriptorReserve
{
    private static readonly Lock Gate = new();
    private static readonly int[] Fds = [-1, -1, -1, -1];

    /// <summary>Opens the reserve if it is not (or no longer) complete; costs a read of one field once it is.</summary>
    public static void Fill()
    {
        if (Volatile.Read(ref Fds[^1]) >= 0) return;
        lock (Gate) FillLocked();
    }

    /// <summary>
    /// Runs <paramref name="read"/>; when it fails with an <see cref="IOException"/> (out of descriptors, most likely),
    /// runs it once more with the reserve given up, and fills the reserve again.
    /// </summary>
    public static T Retry<T>(Func<T> read)
    {
        try
        {
            return read();
        }
        catch (IOException)
        {
            lock (Gate)
            {
                for (var i = 0; i < Fds.Length; i++)
                {
                    if (Fds[i] >= 0) Libc.close(Fds[i]);
                    Fds[i] = -1;
                }
                try
                {
                    return read();
                }
                finally
                {
                    FillLocked();
                }
            }
        }
    }

    private static void FillLocked()
    {
        fixed (byte* path = "/dev/null\0"u8)
        {
            for (var i = 0; i < Fds.Length; i++)
                if (Fds[i] < 0) Fds[i] = Libc.open(path, Libc.O_CLOEXEC);
        }
    }
}
