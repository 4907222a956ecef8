using System.Globalization;
using System.Runtime.InteropServices;

namespace Timebox.Platform.Unix;

internal sealed partial class ProcessTable
{
    // PF_EXITING in the flags field of /proc/PID/stat: the process has begun its exit.
    private const ulong ExitingFlag = 0x4;

    // SIGKILL in the pending-signal field: set at once in every thread of a process that a fatal signal has just hit
    // (the kernel's short cut for a signal whose action is to terminate), so the process is dying from then on.
    private const ulong PendingKill = 1UL << (Signals.Kill - 1);

    // Every signal whose default action is to terminate: all but CHLD, CONT, STOP, TSTP, TTIN, TTOU, URG and WINCH.
    private const ulong FatalByDefault = ~((1UL << 16) | (1UL << 17) | (1UL << 18) | (1UL << 19) | (1UL << 20) | (1UL << 21) | (1UL << 22) | (1UL << 27));

    // Kernels built without CONFIG_PROC_CHILDREN (like this project's CI) have no per-task children lists, so descendants
    // are found by reading every process's stat line. With raw open/read/close into a stack buffer: a termination sweep
    // reads every process's stat line at least twice, and File.ReadAllText made each read several times slower, which
    // the caller waits for on timeout.
    private static ProcessTable ReadLinux(int? lowestPid)
    {
        var table = new ProcessTable([]);
        Span<byte> path = stackalloc byte[32];
        Span<byte> stat = stackalloc byte[1024];
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            var name = Path.GetFileName(directory.AsSpan());
            if (name.Length == 0 || !char.IsAsciiDigit(name[0])) continue;
            if (!int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid < lowestPid) continue;
            var length = ReadStat(pid, path, stat);
            if (length < 0 && Libc.IsResourceShortage(Libc.Errno)) throw ShortageError(pid);
            // Exited while we were reading (nothing to signal), or a line we cannot parse.
            if (length <= 0 || !TryParseStat(stat[..length], out var entry)) continue;
            table._entries[pid] = entry;
        }
        return table;
    }

    private static bool IsDyingLinux(int pid)
    {
        Span<byte> path = stackalloc byte[32];
        Span<byte> stat = stackalloc byte[4096];
        return ExitState(pid, path, stat) switch
        {
            Exit.Unknown => false,
            Exit.Gone or Exit.Exiting => true,
            _ => HasFatalSignalPending(pid, path, stat),
        };
    }

    private static bool IsExitingLinux(int pid)
    {
        Span<byte> path = stackalloc byte[32];
        Span<byte> stat = stackalloc byte[4096];
        return ExitState(pid, path, stat) == Exit.Exiting;
    }

    private enum Exit { Unknown, Gone, Exiting, Running }

    // Unknown: the stat line could not be read for want of descriptors or memory; Gone: exited (a zombie, or no longer there).
    private static Exit ExitState(int pid, Span<byte> path, Span<byte> stat)
    {
        var length = ReadStat(pid, path, stat);
        if (length < 0) return Libc.IsResourceShortage(Libc.Errno) ? Exit.Unknown : Exit.Gone;
        if (length == 0 || !TryParseStat(stat[..length], out var entry) || entry.Zombie) return Exit.Gone;
        // Fields 9 (flags) and 31 (pending signals) of proc(5), counted from the state (field 3).
        var fields = stat[(stat[..length].LastIndexOf((byte)')') + 2)..length];
        return (Field(fields, 6) & ExitingFlag) != 0 || (Field(fields, 28) & PendingKill) != 0 ? Exit.Exiting : Exit.Running;
    }

    // A signal whose default action ends the process, pending and neither ignored nor caught: the kernel's short cut
    // above is not taken while the process blocks it (a shell between fork and exec does), and then it dies as soon as
    // it unblocks it. /proc/PID/status has the process-wide pending set (ShdPnd) that the stat line lacks.
    private static bool HasFatalSignalPending(int pid, Span<byte> path, Span<byte> buffer)
    {
        var length = ReadProcFile(pid, "/status\0"u8, path, buffer);
        if (length <= 0) return false;
        var status = buffer[..length];
        var pending = Mask(status, "SigPnd:"u8) | Mask(status, "ShdPnd:"u8);
        return (pending & FatalByDefault & ~Mask(status, "SigIgn:"u8) & ~Mask(status, "SigCgt:"u8)) != 0;
    }

    // The hexadecimal mask on the line of /proc/PID/status that starts with key; 0 if there is none.
    private static ulong Mask(ReadOnlySpan<byte> status, ReadOnlySpan<byte> key)
    {
        var start = status.IndexOf(key);
        if (start < 0) return 0;
        var value = status[(start + key.Length)..].TrimStart((byte)'\t');
        var end = value.IndexOf((byte)'\n');
        return ulong.TryParse(end < 0 ? value : value[..end], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var mask) ? mask : 0;
    }

    private static IOException ShortageError(int pid)
    {
        var errno = Libc.Errno;
        return new IOException(string.Create(CultureInfo.InvariantCulture,
            $"Reading /proc/{pid}/stat failed: {Marshal.GetPInvokeErrorMessage(errno)}"));
    }

    private static int ReadStat(int pid, Span<byte> path, Span<byte> buffer) => ReadProcFile(pid, "/stat\0"u8, path, buffer);

    // Reads /proc/PID/FILE (file: "/stat\0", "/status\0") into buffer; the length read, or -1 with errno set.
    private static unsafe int ReadProcFile(int pid, ReadOnlySpan<byte> file, Span<byte> path, Span<byte> buffer)
    {
        "/proc/"u8.CopyTo(path);
        pid.TryFormat(path[6..], out var digits, provider: CultureInfo.InvariantCulture);
        file.CopyTo(path[(6 + digits)..]);
        int fd;
        fixed (byte* pathPointer = path) fd = Libc.open(pathPointer, Libc.O_CLOEXEC);
        if (fd < 0) return -1;
        nint count;
        fixed (byte* bufferPointer = buffer) count = Libc.read(fd, bufferPointer, buffer.Length);
        Libc.close(fd);
        return (int)count;
    }

    private static bool TryParseStat(ReadOnlySpan<byte> stat, out Entry entry)
    {
        entry = default;
        // The command name may contain spaces and parentheses: the fields start after the last ')'.
        var close = stat.LastIndexOf((byte)')');
        if (close < 0 || close + 2 >= stat.Length) return false;
        var fields = stat[(close + 2)..];
        // "STATE PPID PGRP ...": the first three space-separated fields.
        var stateEnd = fields.IndexOf((byte)' ');
        if (stateEnd < 0) return false;
        var rest = fields[(stateEnd + 1)..];
        var parentEnd = rest.IndexOf((byte)' ');
        if (parentEnd < 0) return false;
        var groupField = rest[(parentEnd + 1)..];
        var groupEnd = groupField.IndexOf((byte)' ');
        if (groupEnd < 0) return false;
        if (!int.TryParse(rest[..parentEnd], NumberStyles.None, CultureInfo.InvariantCulture, out var parent)
            || !int.TryParse(groupField[..groupEnd], NumberStyles.None, CultureInfo.InvariantCulture, out var group))
            return false;
        entry = new(parent, group, stateEnd == 1 && fields[0] is (byte)'Z' or (byte)'X', StartTime: 0);
        return true;
    }

    // The unsigned decimal field at index (0: the state) of the space-separated fields; 0 if absent.
    private static ulong Field(ReadOnlySpan<byte> fields, int index)
    {
        for (var i = 0; i < index; i++)
        {
            var space = fields.IndexOf((byte)' ');
            if (space < 0) return 0;
            fields = fields[(space + 1)..];
        }
        var end = fields.IndexOfAny((byte)' ', (byte)'\n');
        return ulong.TryParse(end < 0 ? fields : fields[..end], NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : 0;
    }
}
