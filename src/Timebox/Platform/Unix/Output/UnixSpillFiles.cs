using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Timebox.Output;

namespace Timebox.Platform.Unix;

/// <summary>
/// Spill files on Linux and macOS: on Linux an <c>O_TMPFILE</c> file, which never has a name; elsewhere, and on a file
/// system without <c>O_TMPFILE</c>, a named file unlinked at once.
/// </summary>
internal sealed partial class UnixSpillFiles : SpillFiles
{
    public static UnixSpillFiles Instance { get; } = new();

    private UnixSpillFiles()
    {
    }

    public override SafeFileHandle Create(string directory) =>
        (OperatingSystem.IsLinux() ? CreateUnnamed(directory) : null) ?? CreateUnlinked(directory);

    // By hand rather than RandomAccess.Write, which turns EFBIG into an ArgumentOutOfRangeException with .NET's words.
    // The capture owns the handle until the run hands it to the result, so it cannot close under this write.
    public override unsafe void Write(SafeFileHandle file, ReadOnlySpan<byte> bytes, long offset)
    {
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

    private static SafeFileHandle CreateUnlinked(string directory)
    {
        var handle = CreateNamed(directory, FileOptions.None, out var path);
        File.Delete(path);
        return handle;
    }
}
