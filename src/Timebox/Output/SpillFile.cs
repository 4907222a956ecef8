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
    private const int O_RDWR = 2, O_TMPFILE = 0x410000;

    public static unsafe SafeFileHandle Create(string directory)
    {
        if (OperatingSystem.IsLinux())
        {
            var path = System.Text.Encoding.UTF8.GetBytes(directory + "\0");
            int fd;
            fixed (byte* pointer = path) fd = Libc.open(pointer, O_TMPFILE | O_RDWR | Libc.O_CLOEXEC, 0x180);
            if (fd >= 0) return new SafeFileHandle(fd, ownsHandle: true);
            // Some file systems (and old kernels) lack O_TMPFILE: fall through to create-and-unlink.
        }
        var named = Path.Combine(directory, $"timebox-spill-{Guid.NewGuid():N}.tmp");
        var options = OperatingSystem.IsWindows() ? FileOptions.DeleteOnClose : FileOptions.None;
        var handle = File.OpenHandle(named, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, options);
        if (!OperatingSystem.IsWindows()) File.Delete(named);
        return handle;
    }
}
