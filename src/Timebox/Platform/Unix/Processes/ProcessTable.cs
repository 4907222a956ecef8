using System.Globalization;
using System.Runtime.InteropServices;

namespace Timebox.Platform.Unix;

/// <summary>
/// A snapshot of every process: its parent, its process group, whether it is a zombie and (macOS) its start time.
/// Read from /proc on Linux: kernels built without CONFIG_PROC_CHILDREN (like this project's CI) have no per-task
/// children lists, so descendants are found by reading every process's stat line. macOS has no /proc: see <see cref="DarwinProcessList"/>.
/// </summary>
internal sealed class ProcessTable
{
    // StartTime (macOS only, in microseconds) tells a process from a later one with its pid; Linux holds processes by pidfd instead.
    internal readonly record struct Entry(int Parent, int Group, bool Zombie, long StartTime);

    private readonly Dictionary<int, Entry> _entries;

    // Built on first use, once per snapshot: a termination batch asks one snapshot about hundreds of trees, and walking
    // every entry for each of them made a wave of 1,000 timeouts quadratic.
    private Dictionary<int, List<int>>? _children, _groups;

    private ProcessTable(Dictionary<int, Entry> entries) => _entries = entries;

    // PF_EXITING in the flags field of /proc/PID/stat: the process has begun its exit.
    private const ulong ExitingFlag = 0x4;

    // SIGKILL in the pending-signal field: set at once in every thread of a process that a fatal signal has just hit
    // (the kernel's short cut for a signal whose action is to terminate), so the process is dying from then on.
    private const ulong PendingKill = 1UL << (Signals.Kill - 1);

    // Every signal whose default action is to terminate: all but CHLD, CONT, STOP, TSTP, TTIN, TTOU, URG and WINCH.
    private const ulong FatalByDefault = ~((1UL << 16) | (1UL << 17) | (1UL << 18) | (1UL << 19) | (1UL << 20) | (1UL << 21) | (1UL << 22) | (1UL << 27));

    /// <remarks>
    /// Read with raw open/read/close into a stack buffer: a termination sweep reads every process's stat line at
    /// least twice, and File.ReadAllText made each read several times slower, which the caller waits for on timeout.
    /// </remarks>
    /// <param name="lowestPid">The lowest pid to read (null: all); the others are skipped by their /proc entry's name alone.</param>
    /// <exception cref="IOException">This process is out of descriptors or memory: the list would be incomplete.</exception>
    public static unsafe ProcessTable Read(int? lowestPid = null)
    {
        if (OperatingSystem.IsMacOS()) return new ProcessTable(DarwinProcessList.Read());
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

    /// <summary>
    /// True when <paramref name="pid"/> is gone, a zombie, already exiting, or hit by a fatal signal it has not acted on
    /// yet: a SIGKILL now would not be what ends it. False when it would (also when its state cannot be read for want of
    /// descriptors: then the kill is counted as needed). Always false on macOS, which has no /proc.
    /// </summary>
    public static bool IsDying(int pid)
    {
        if (OperatingSystem.IsMacOS()) return false;
        Span<byte> path = stackalloc byte[32];
        Span<byte> stat = stackalloc byte[4096];
        return ExitState(pid, path, stat) switch
        {
            Exit.Unknown => false,
            Exit.Gone or Exit.Exiting => true,
            _ => HasFatalSignalPending(pid, path, stat),
        };
    }

    /// <summary>
    /// True when <paramref name="pid"/> is alive but has begun its exit or been hit by a fatal signal the kernel has
    /// already turned into SIGKILL: it can fork no more. False when it is gone, a zombie, or anything else (macOS: always).
    /// </summary>
    public static bool IsExiting(int pid)
    {
        if (OperatingSystem.IsMacOS()) return false;
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

    /// <summary>The process group <paramref name="pid"/> had in this snapshot, or null when it is not in it.</summary>
    public int? GroupOf(int pid) => _entries.TryGetValue(pid, out var entry) ? entry.Group : null;

    /// <summary>
    /// The processes of <paramref name="live"/> (a <see cref="LiveTree"/> of this snapshot) that are outside process group
    /// <paramref name="group"/> and whose parent is not in <paramref name="live"/>: no process of the tree is there to
    /// pass a signal on to them (their parent died and they were adopted, by init, a subreaper or this process).
    /// </summary>
    public IEnumerable<int> Unsupervised(HashSet<int> live, int group) =>
        live.Where(pid => _entries.TryGetValue(pid, out var entry) && entry.Group != group && !live.Contains(entry.Parent));

    /// <summary>The start time <paramref name="pid"/> had in this snapshot (macOS), or 0.</summary>
    public long StartTimeOf(int pid) => _entries.TryGetValue(pid, out var entry) ? entry.StartTime : 0;

    /// <summary>The live (non-zombie) processes in this snapshot whose parent is <paramref name="parent"/>.</summary>
    public IEnumerable<int> LiveChildrenOf(int parent) => ChildrenOf(parent).Where(pid => !_entries[pid].Zombie);

    /// <summary>The zombies in this snapshot whose parent is <paramref name="parent"/> and whose process group is <paramref name="group"/>.</summary>
    public IEnumerable<int> ZombieChildrenOf(int parent, int group) =>
        ChildrenOf(parent).Where(pid => _entries[pid] is { Zombie: true } entry && entry.Group == group);

    /// <summary>
    /// The live (non-zombie) processes among <paramref name="roots"/>, those that descend from any of them, and those that
    /// belong to process group <paramref name="group"/>. A root counts itself: a descendant found earlier whose parent has
    /// died since (it was reparented away from the tree) is still the tree's. Costs what the tree has, not what the snapshot has.
    /// </summary>
    public HashSet<int> LiveTree(IEnumerable<int> roots, int group)
    {
        var found = new HashSet<int>(roots);
        if (Index().Groups.TryGetValue(group, out var members)) found.UnionWith(members);
        var pending = new Stack<int>(found);
        while (pending.TryPop(out var pid))
            foreach (var child in ChildrenOf(pid))
                if (found.Add(child)) pending.Push(child);
        found.RemoveWhere(pid => !_entries.TryGetValue(pid, out var entry) || entry.Zombie);
        return found;
    }

    private List<int> ChildrenOf(int parent) => Index().Children.TryGetValue(parent, out var children) ? children : [];

    private (Dictionary<int, List<int>> Children, Dictionary<int, List<int>> Groups) Index()
    {
        if (_children is null || _groups is null)
        {
            _children = [];
            _groups = [];
            foreach (var (pid, entry) in _entries)
            {
                Add(_children, entry.Parent, pid);
                Add(_groups, entry.Group, pid);
            }
        }
        return (_children, _groups);
    }

    private static void Add(Dictionary<int, List<int>> index, int key, int pid)
    {
        if (!index.TryGetValue(key, out var list)) index[key] = list = [];
        list.Add(pid);
    }
}
