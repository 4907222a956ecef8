using System.Globalization;

namespace Timebox.Bench;

/// <summary>What the tree-kill row needs of /proc: wait for a shell's children, and clean up what a kill missed.</summary>
internal static class ProcTree
{
    /// <summary>Waits (bounded: 30 s) until <paramref name="parent"/> has at least <paramref name="count"/> children.</summary>
    public static void WaitForChildren(int parent, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (Children(parent) < count)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"pid {parent} did not start {count} children");
            Thread.Sleep(5);
        }
    }

    /// <summary>SIGKILLs every "sleep SECONDS" still alive (what a kill left behind) and returns how many there were.</summary>
    public static int KillSurvivingSleeps(string seconds)
    {
        var survivors = 0;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
            try
            {
                var commandLine = File.ReadAllText($"/proc/{pid}/cmdline");
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                if (commandLine != $"sleep\0{seconds}\0" || stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z')) continue;
                survivors++;
                System.Diagnostics.Process.GetProcessById(pid).Kill();
            }
            catch (Exception exception) when (exception is IOException or ArgumentException or UnauthorizedAccessException)
            {
                // gone meanwhile
            }
        }
        return survivors;
    }

    private static int Children(int parent)
    {
        var count = 0;
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!char.IsAsciiDigit(Path.GetFileName(directory)[0])) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (fields[1] == parent.ToString(CultureInfo.InvariantCulture)) count++;
            }
            catch (IOException)
            {
                // not a process, or gone meanwhile
            }
        }
        return count;
    }
}
