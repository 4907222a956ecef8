using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Timebox.Platform.Unix;

internal sealed partial class UnixSpillFiles
{
    private const int O_RDWR = 2, O_TMPFILE = 0x410000, EISDIR = 21, EOPNOTSUPP = 95;

    /// <summary>An <c>O_TMPFILE</c> file in <paramref name="directory"/>; null where the kernel or the file system has none.</summary>
    /// <exception cref="IOException">The directory takes no file, in the system's words.</exception>
    private static unsafe SafeFileHandle? CreateUnnamed(string directory)
    {
        var path = System.Text.Encoding.UTF8.GetBytes(directory + "\0");
        int fd;
        fixed (byte* pointer = path) fd = Libc.open(pointer, O_TMPFILE | O_RDWR | Libc.O_CLOEXEC, 0x180);
        if (fd >= 0) return new SafeFileHandle(fd, ownsHandle: true);
        // Kernels before 3.11 read O_TMPFILE as O_DIRECTORY (EISDIR), and some file systems lack it (EOPNOTSUPP): a named
        // file unlinked at once does instead. Any other error is the directory's, and creating a named file would only repeat it.
        var errno = Libc.Errno;
        if (errno is not (EISDIR or EOPNOTSUPP)) throw new IOException(Marshal.GetPInvokeErrorMessage(errno));
        return null;
    }
}
