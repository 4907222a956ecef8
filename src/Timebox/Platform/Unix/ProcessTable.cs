using System.Globalization;

namespace Timebox.Platform.Unix;

/// <summary>
/// A snapshot of /proc: for every process its parent, its process group and whether it is a zombie.
/// Linux kernels built without CONFIG_PROC_CHILDREN (like this project's CI) have no per-task children
/// lists, so descendants are found by reading every process's stat line.
/// </summary>
internal sealed class ProcessTable
{
    private readonly Dictionary<int, (int Parent, int Group, bool Zombie)> _entries = [];

    private ProcessTable() { }

    public static ProcessTable Read()
    {
        var table = new ProcessTable();
        Span<Range> parts = stackalloc Range[4];
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            var name = Path.GetFileName(directory.AsSpan());
            if (name.Length == 0 || !char.IsAsciiDigit(name[0])) continue;
            if (!int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            string stat;
            try
            {
                stat = File.ReadAllText($"/proc/{pid}/stat");
            }
            catch (IOException)
            {
                continue; // exited while we were reading: nothing to signal
            }
            // The command name may contain spaces and parentheses: the fields start after the last ')'.
            var fields = stat.AsSpan(stat.LastIndexOf(')') + 2);
            if (fields.Split(parts, ' ') < 4) continue;
            table._entries[pid] = (
                int.Parse(fields[parts[1]], CultureInfo.InvariantCulture),
                int.Parse(fields[parts[2]], CultureInfo.InvariantCulture),
                fields[parts[0]] is "Z" or "X");
        }
        return table;
    }

    /// <summary>The live (non-zombie) processes that descend from any of <paramref name="roots"/> or belong to process group <paramref name="group"/>.</summary>
    public HashSet<int> LiveTree(IEnumerable<int> roots, int group)
    {
        var children = new Dictionary<int, List<int>>();
        var found = new HashSet<int>();
        foreach (var (pid, entry) in _entries)
        {
            if (!children.TryGetValue(entry.Parent, out var list)) children[entry.Parent] = list = [];
            list.Add(pid);
            if (entry.Group == group) found.Add(pid);
        }
        var pending = new Stack<int>(roots.Concat(found));
        while (pending.TryPop(out var pid))
        {
            if (!children.TryGetValue(pid, out var list)) continue;
            foreach (var child in list)
                if (found.Add(child)) pending.Push(child);
        }
        found.RemoveWhere(pid => !_entries.TryGetValue(pid, out var entry) || entry.Zombie);
        return found;
    }
}
