using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Timebox.Platform.Unix;

namespace Timebox.Output;

/// <summary>
/// The temporary file a capture moves to past its memory threshold. It never has a name anyone can see after
/// creation (Linux: <c>O_TMPFILE</c>; other Unix: unlinked at once; Windows: delete-on-close), so it vanishes when
/// its handle closes: on dispose, and also when the host crashes.
/// </summary>
internal static class SpillFile
{
    private const int O_RDWR = 2, O_TMPFILE = 0x410000, EISDIR = 21, EOPNOTSUPP = 95;

    /// <exception cref="IOException">The directory takes no file (read-only, full, not a directory, not writable), in the system's words.</exception>
    public static unsafe SafeFileHandle Create(string directory)
    {
        if (OperatingSystem.IsLinux())
        {
            var path = System.Text.Encoding.UTF8.GetBytes(directory + "\0");
            int fd;
            fixed (byte* pointer = path) fd = Libc.open(pointer, O_TMPFILE | O_RDWR | Libc.O_CLOEXEC, 0x180);
            if (fd >= 0) return new SafeFileHandle(fd, ownsHandle: true);
            // Kernels before 3.11 read O_TMPFILE as O_DIRECTORY (EISDIR), and some file systems lack it (EOPNOTSUPP): fall
            // through to create-and-unlink. Any other error is the directory's, and creating a named file would only repeat it.
            var errno = Libc.Errno;
            if (errno is not (EISDIR or EOPNOTSUPP)) throw new IOException(Marshal.GetPInvokeErrorMessage(errno));
        }
        var named = Path.Combine(directory, $"timebox-spill-{Guid.NewGuid():N}.tmp");
        var options = OperatingSystem.IsWindows() ? FileOptions.DeleteOnClose : FileOptions.None;
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(named, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, options);
        }
        catch (UnauthorizedAccessException exception)
        {
            throw new IOException(exception.Message, exception);
        }
        if (!OperatingSystem.IsWindows()) File.Delete(named);
        return handle;
    }

    /// <summary>Writes all of <paramref name="bytes"/> at <paramref name="offset"/>.</summary>
    /// <exception cref="IOException">The write failed (ENOSPC, EIO, EFBIG, ...), in the system's words; part of the bytes may have been written.</exception>
    public static unsafe void Write(SafeFileHandle file, ReadOnlySpan<byte> bytes, long offset)
    {
        if (OperatingSystem.IsWindows())
        {
            RandomAccess.Write(file, bytes, offset);
            return;
        }
        // By hand rather than RandomAccess.Write, which turns EFBIG into an ArgumentOutOfRangeException with .NET's words.
        // The capture owns the handle until the run hands it to the result, so it cannot close under this write.
        var fd = (int)file.DangerousGetHandle();
        while (!bytes.IsEmpty)
        {
            nint written;
            fixed (byte* pointer = bytes) written = Libc.pwrite(fd, pointer, bytes.Length, offset);
            if (written < 0)
            {
                var errno = Libc.Errno;
                if (errno == Libc.EINTR) continue;
                throw new IOException(Marshal.GetPInvokeErrorMessage(errno));
            }
            bytes = bytes[(int)written..];
            offset += written;
        }
    }
}
