using Timebox.Platform.Unix;

namespace Timebox.Cli;

/// <summary>Raw writes to a file descriptor, for the CLI's messages and its output relay (no Stream, no Console).</summary>
internal static unsafe class Descriptors
{
    /// <summary>Writes all of <paramref name="data"/>, retrying on EINTR; false when the descriptor refuses (EPIPE, EBADF...).</summary>
    public static bool WriteAll(int fd, ReadOnlySpan<byte> data)
    {
        fixed (byte* start = data)
        {
            var offset = 0;
            while (offset < data.Length)
            {
                var written = Libc.write(fd, start + offset, data.Length - offset);
                if (written < 0 && Libc.Errno == Libc.EINTR) continue;
                if (written <= 0) return false;
                offset += (int)written;
            }
        }
        return true;
    }
}
