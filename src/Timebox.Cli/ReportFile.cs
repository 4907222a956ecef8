using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Timebox.Platform.Unix;

namespace Timebox.Cli;

/// <summary>
/// A file timebox writes once, when it ends (--report, the batch's --html). It is checked before anything runs, so one
/// that cannot be written is an error before the fact, but the path is not touched until the content is complete: the
/// content goes to a new temporary file in the same directory, is flushed to disk, and is renamed over the path. A
/// reader never sees a torn or empty file, and a symbolic link at the path is replaced, never written through (a
/// dangling one included). A path that names no regular file (a device such as /dev/null or /dev/full, a FIFO, or
/// anything under /dev and /proc, such as /dev/stdout) is opened before the run and written directly, as a shell's
/// redirection would. Failures are printed in the system's words (strerror).
/// </summary>
internal sealed unsafe partial class ReportFile : IDisposable
{
    private const int AT_FDCWD = -100, STATX_TYPE = 1, S_IFMT = 0xF000, S_IFREG = 0x8000, S_IFDIR = 0x4000;
    private const int EEXIST = 17, EISDIR = 21;
    private const int Permissions = 0x1B6; // 0666, less the umask, as any file a shell's redirection creates

    private static readonly int O_WRONLY = 1;
    private static readonly int O_CREAT = OperatingSystem.IsMacOS() ? 0x200 : 0x40;
    private static readonly int O_EXCL = OperatingSystem.IsMacOS() ? 0x800 : 0x80;
    private static readonly int O_TRUNC = OperatingSystem.IsMacOS() ? 0x400 : 0x200;

    [LibraryImport("libc", SetLastError = true)] private static partial int fsync(int fd);
    [LibraryImport("libc", SetLastError = true)] private static partial int rename(byte* from, byte* to);
    [LibraryImport("libc", SetLastError = true)] private static partial int unlink(byte* path);
    [LibraryImport("libc", SetLastError = true)] private static partial int statx(int directory, byte* path, int flags, uint mask, byte* buffer);

    private readonly string _path;
    private readonly string _failure;
    private int _direct;

    private ReportFile(string path, string failure, int direct)
    {
        _path = path;
        _failure = failure;
        _direct = direct;
    }

    /// <summary>
    /// Checks that <paramref name="path"/> can be written: for a regular file, by creating (and removing) a temporary
    /// file next to it; for anything else, by opening it. Null after printing <paramref name="failure"/>, the path and
    /// the reason.
    /// </summary>
    public static ReportFile? Prepare(string path, string failure)
    {
        var type = FileType(path);
        if (type == S_IFDIR) return Failed(path, failure, EISDIR);
        if (WrittenInPlace(path, type))
        {
            var fd = Open(path, O_WRONLY | O_CREAT | O_TRUNC);
            return fd >= 0 ? new ReportFile(path, failure, fd) : Failed(path, failure, Libc.Errno);
        }
        var (temporary, probe) = CreateTemporary(path);
        if (probe < 0) return Failed(path, failure, Libc.Errno);
        Libc.close(probe);
        Unlink(temporary);
        return new ReportFile(path, failure, -1);
    }

    /// <summary>Writes <paramref name="content"/> as the whole file; false after printing why it could not (the path is then left as it was, unless it is written in place).</summary>
    public bool Write(ReadOnlySpan<byte> content)
    {
        if (_direct >= 0)
        {
            var fd = _direct;
            _direct = -1;
            var written = Descriptors.WriteAll(fd, content);
            var error = written ? 0 : Libc.Errno;
            if (Libc.close(fd) != 0 && written) error = Libc.Errno;
            return error == 0 || Report(error);
        }
        var (temporary, file) = CreateTemporary(_path);
        if (file < 0) return Report(Libc.Errno);
        var failed = !Descriptors.WriteAll(file, content) || fsync(file) != 0 ? Libc.Errno : 0;
        if (Libc.close(file) != 0 && failed == 0) failed = Libc.Errno;
        if (failed == 0 && Rename(temporary, _path) != 0) failed = Libc.Errno;
        if (failed == 0) return true;
        Unlink(temporary);
        return Report(failed);
    }

    public void Dispose()
    {
        if (_direct >= 0) Libc.close(_direct);
        _direct = -1;
    }

    private bool Report(int errno)
    {
        Failed(_path, _failure, errno);
        return false;
    }

    private static ReportFile? Failed(string path, string failure, int errno)
    {
        Messages.Error($"{failure} {Quoting.Quote(path)}: {Marshal.GetPInvokeErrorMessage(errno)}");
        return null;
    }

    /// <summary>
    /// Devices, FIFOs and sockets are written, not replaced; so is every path under /dev and /proc, whose links
    /// (/dev/stdout, /dev/fd/N, /proc/self/fd/N) name a descriptor of this process, not a file to replace.
    /// </summary>
    private static bool WrittenInPlace(string path, int type)
    {
        var full = Path.GetFullPath(path);
        return full.StartsWith("/dev/", StringComparison.Ordinal) || full.StartsWith("/proc/", StringComparison.Ordinal)
            || (type != 0 && type != S_IFREG);
    }

    /// <summary>The type bits of what <paramref name="path"/> names, links followed; 0 when nothing (or, on macOS, when not asked).</summary>
    private static int FileType(string path)
    {
        if (!OperatingSystem.IsLinux()) return Directory.Exists(path) ? S_IFDIR : 0;
        // struct statx is the same on every Linux architecture: stx_mode is the 16 bits at offset 28.
        var buffer = stackalloc byte[256];
        fixed (byte* name = NullTerminated(path))
            return statx(AT_FDCWD, name, 0, STATX_TYPE, buffer) == 0 ? *(ushort*)(buffer + 28) & S_IFMT : 0;
    }

    /// <summary>A new file next to <paramref name="path"/>, created exclusively (never through a link), and its descriptor (-1, errno set, on failure).</summary>
    private static (string Path, int Fd) CreateTemporary(string path)
    {
        var directory = Path.GetDirectoryName(path);
        var name = Path.GetFileName(path);
        while (true)
        {
            // Hidden, named after the file (shortened so that the name stays within NAME_MAX), and unique. Random, not
            // RandomNumberGenerator: the name need not be secret (the file is created exclusively), and cryptography
            // would make the binary larger (bench/NOTES.md).
            var temporary = Path.Combine(string.IsNullOrEmpty(directory) ? "." : directory,
                $".{(name.Length > 100 ? name[..100] : name)}.{Random.Shared.NextInt64(1L << 48).ToString("x12", CultureInfo.InvariantCulture)}.tmp");
            var fd = Open(temporary, O_WRONLY | O_CREAT | O_EXCL);
            if (fd >= 0 || Libc.Errno != EEXIST) return (temporary, fd);
        }
    }

    private static int Open(string path, int flags)
    {
        fixed (byte* name = NullTerminated(path)) return Libc.open(name, flags | Libc.O_CLOEXEC, Permissions);
    }

    private static int Rename(string from, string to)
    {
        fixed (byte* source = NullTerminated(from))
        fixed (byte* target = NullTerminated(to))
            return rename(source, target);
    }

    private static void Unlink(string path)
    {
        fixed (byte* name = NullTerminated(path)) unlink(name);
    }

    private static byte[] NullTerminated(string text) => Encoding.UTF8.GetBytes(text + "\0");
}
