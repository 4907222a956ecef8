namespace Timebox.Platform.Unix;

/// <summary>
/// Grows the pipe of a program that writes faster than Timebox reads, so that one wake-up of the event loop takes up to
/// 1 MiB instead of the default 64 KiB: with default pipes a large output goes through well below what C's 64 KiB read
/// loop reaches (bench/NOTES.md, "Spawn"). Only a pipe from which one wake-up took a whole
/// default pipe's worth (64 KiB) is grown, so the many runs that print little hold no big buffers. Pipe buffers count
/// against the user's pipe-user-pages-soft (64 MiB by default), past which the kernel gives every new pipe of that user
/// a single page: at most <see cref="MaxGrown"/> pipes are grown at a time. Linux only (F_SETPIPE_SZ); elsewhere, and
/// when the kernel refuses, the pipe stays as it is.
/// </summary>
internal static class PipeCapacity
{
    private const int SetPipeSize = 1031; // F_SETPIPE_SZ
    private const int GrownBytes = 1 << 20;
    private const int MaxGrown = 16;

    private static int _grown;

    /// <summary>Grows the pipe whose read end is <paramref name="fd"/>. True when it did: call <see cref="Release"/> once it is closed.</summary>
    public static bool TryGrow(int fd)
    {
        if (!OperatingSystem.IsLinux()) return false;
        if (Interlocked.Increment(ref _grown) <= MaxGrown && Libc.fcntl(fd, SetPipeSize, GrownBytes) >= 0) return true;
        Interlocked.Decrement(ref _grown);
        return false;
    }

    /// <summary>A grown pipe was closed.</summary>
    public static void Release() => Interlocked.Decrement(ref _grown);
}
