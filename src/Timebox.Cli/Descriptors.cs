using System.Runtime.InteropServices;

namespace Timebox.Cli;

/// <summary>Raw reads and writes on file descriptors, for the CLI's messages, its signal pipe and its output relay (no Stream, no Console).</summary>
internal static unsafe partial class Descriptors
{
    private const int EINTR = 4;
    private static readonly int CloseOnExec = OperatingSystem.IsMacOS() ? 0x1000000 : 0x80000;
    private static readonly int NonBlocking = OperatingSystem.IsMacOS() ? 0x4 : 0x800;

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)] private static partial nint ReadNative(int fd, byte* buffer, nint count);
    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)] private static partial nint WriteNative(int fd, byte* buffer, nint count);
    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)] private static partial int CloseNative(int fd);
    [LibraryImport("libc", EntryPoint = "pipe2", SetLastError = true)] private static partial int Pipe2(int* fds, int flags);

    /// <summary>The system's words for the error of the last failed call here (strerror).</summary>
    public static string LastError => Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError());

    /// <summary>A pipe whose ends are closed on exec: the command gets the write end only as one of its 0/1/2.</summary>
    /// <exception cref="IOException">The system refused (too many open descriptors...).</exception>
    public static (int Read, int Write) CreatePipe(bool nonBlocking = false)
    {
        var fds = stackalloc int[2];
        // The errno as HResult, as in .NET's own IOExceptions on Unix: a shortage of descriptors is told apart by it.
        if (Pipe2(fds, CloseOnExec | (nonBlocking ? NonBlocking : 0)) != 0) throw new IOException($"cannot create a pipe: {LastError}", Marshal.GetLastPInvokeError());
        return (fds[0], fds[1]);
    }

    /// <summary>Reads what is there (blocking unless the descriptor is not), retrying on EINTR: the count, 0 at the end, negative on an error.</summary>
    public static nint Read(int fd, Span<byte> buffer)
    {
        fixed (byte* start = buffer)
        {
            while (true)
            {
                var count = ReadNative(fd, start, buffer.Length);
                if (count >= 0 || Marshal.GetLastPInvokeError() != EINTR) return count;
            }
        }
    }

    /// <summary>Writes all of <paramref name="data"/>, retrying on EINTR; false when the descriptor refuses (EPIPE, EBADF...), with <see cref="LastError"/> saying why.</summary>
    public static bool WriteAll(int fd, ReadOnlySpan<byte> data)
    {
        fixed (byte* start = data)
        {
            var offset = 0;
            while (offset < data.Length)
            {
                var written = WriteNative(fd, start + offset, data.Length - offset);
                if (written < 0 && Marshal.GetLastPInvokeError() == EINTR) continue;
                if (written <= 0) return false;
                offset += (int)written;
            }
        }
        return true;
    }

    public static void Close(int fd) => CloseNative(fd);
}
