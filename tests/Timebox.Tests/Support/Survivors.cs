using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Timebox.Tests.Support;

/// <summary>
/// A file every TestChild process (and every copy it spawns) appends "PID STARTTIME" to, so a test
/// can prove that nothing it started outlived it. Pass <see cref="Environment"/> to the command.
/// </summary>
public sealed class PidLog : IDisposable
{
    public const string VariableName = "TESTCHILD_PIDLOG";

    public PidLog()
    {
        FilePath = System.IO.Path.Combine(
            System.IO.Path.GetTempPath(),
            string.Create(CultureInfo.InvariantCulture, $"timebox-pidlog-{Guid.NewGuid():N}.log"));
        File.WriteAllBytes(FilePath, []);
    }

    public string FilePath { get; }

    /// <summary>The environment variable to give a spawned TestChild.</summary>
    public (string Name, string Value) Environment => (VariableName, FilePath);

    /// <summary>Every process logged so far.</summary>
    public IReadOnlyList<(int Pid, long StartTime)> ReadAll()
    {
        var text = File.ReadAllText(FilePath);
        var result = new List<(int Pid, long StartTime)>();

        // Each line is one write(2) with O_APPEND, but only complete lines are trusted: a
        // line without its newline is a write still in progress.
        var complete = text[..(text.LastIndexOf('\n') + 1)];
        foreach (var line in complete.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(' ');
            if (parts.Length != 2
                || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var start))
            {
                throw new InvalidDataException($"Malformed line in pid log '{FilePath}': '{line}'");
            }

            result.Add((pid, start));
        }

        return result;
    }

    /// <summary>
    /// Fails the test if any logged process is still alive (same pid and start time, not a
    /// zombie) after <paramref name="settle"/> (default 2 s). Survivors are SIGKILLed first so
    /// one test's leak does not disturb the others.
    /// </summary>
    public void AssertNoSurvivors(TimeSpan? settle = null)
    {
        // A process that was just SIGKILLed can take a moment to go away, so polling here is
        // deliberate; it is bounded and ends as soon as everything is gone.
        var deadline = DateTime.UtcNow + (settle ?? TimeSpan.FromSeconds(2));
        List<(int Pid, long StartTime)> survivors;
        while (true)
        {
            survivors = ReadAll().Where(p => Proc.IsSameAndAlive(p.Pid, p.StartTime)).ToList();
            if (survivors.Count == 0)
            {
                return;
            }

            if (DateTime.UtcNow >= deadline)
            {
                break;
            }

            Thread.Sleep(10);
        }

        var report = new StringBuilder();
        report.Append(CultureInfo.InvariantCulture, $"{survivors.Count} logged process(es) survived:");
        foreach (var (pid, _) in survivors)
        {
            report.Append(CultureInfo.InvariantCulture, $"\n  pid {pid}: {Proc.CommandLine(pid)}");
        }

        foreach (var (pid, start) in survivors)
        {
            // Re-check identity right before killing so a recycled pid is never hit.
            if (Proc.IsSameAndAlive(pid, start))
            {
                _ = Proc.Kill(pid, Proc.SIGKILL);
            }
        }

        Assert.Fail(report.ToString());
    }

    /// <summary>SIGKILLs every logged process still alive (for tests of tools that leave processes behind on purpose) and returns how many there were.</summary>
    public int KillSurvivors()
    {
        var survivors = ReadAll().Where(p => Proc.IsSameAndAlive(p.Pid, p.StartTime)).ToList();
        foreach (var (pid, _) in survivors) _ = Proc.Kill(pid, Proc.SIGKILL);
        return survivors.Count;
    }

    public void Dispose()
    {
        try
        {
            File.Delete(FilePath);
        }
        catch (IOException)
        {
            // Best effort: a leftover temp file must not fail a test.
        }
    }
}

/// <summary>Small /proc based probes of this and other processes (Linux only).</summary>
public static class Proc
{
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;
    public const int SIGCONT = 18;
    public const int SIGSTOP = 19;

    /// <summary>True if <paramref name="pid"/> exists and is not a zombie.</summary>
    public static bool IsAlive(int pid) =>
        TryReadStat(pid, out var stat) && stat.State is not ('Z' or 'X');

    /// <summary>True if <paramref name="pid"/> is alive and is the same process (same start time).</summary>
    public static bool IsSameAndAlive(int pid, long startTime) =>
        TryReadStat(pid, out var stat) && stat.StartTime == startTime && stat.State is not ('Z' or 'X');

    /// <summary>The parent of <paramref name="pid"/>, or null if it is gone.</summary>
    public static int? ParentOf(int pid) => TryReadStat(pid, out var stat) ? stat.ParentPid : null;

    /// <summary>The process group of <paramref name="pid"/>, or null if it is gone.</summary>
    public static int? GroupOf(int pid) => TryReadStat(pid, out var stat) ? stat.Group : null;

    /// <summary>The process state letter from /proc/PID/stat (R, S, T, Z, ...), or null if it is gone.</summary>
    public static char? State(int pid) => TryReadStat(pid, out var stat) ? stat.State : null;

    /// <summary>Open file descriptors of the current process.</summary>
    public static int CountOpenFds()
    {
        // The listing itself opens a directory fd that shows up in it and is closed by the
        // time the enumeration returns, so count only entries that still resolve.
        var entries = Directory.GetFileSystemEntries("/proc/self/fd");
        return entries.Count(e => File.Exists(e) || Directory.Exists(e));
    }

    /// <summary>Threads of the current process, from /proc/self/status.</summary>
    public static int ThreadCount()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("Threads:", StringComparison.Ordinal))
            {
                return int.Parse(line.AsSpan("Threads:".Length).Trim(), NumberStyles.None, CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidDataException("No 'Threads:' line in /proc/self/status.");
    }

    /// <summary>Pids whose parent is <paramref name="pid"/> (including zombies).</summary>
    public static IReadOnlyList<int> ChildrenOf(int pid) =>
        AllStats().Where(s => s.ParentPid == pid).Select(s => s.Pid).ToList();

    /// <summary>The live (non-zombie) members of process group <paramref name="group"/>, read once, with no waiting.</summary>
    public static IReadOnlyList<int> LiveMembersOf(int group) =>
        AllStats().Where(s => s.Group == group && s.State is not ('Z' or 'X')).Select(s => s.Pid).ToList();

    /// <summary>The live (non-zombie) members of any of <paramref name="groups"/>, read once, with no waiting.</summary>
    public static IReadOnlyList<int> LiveMembersOf(IReadOnlySet<int> groups) =>
        AllStats().Where(s => groups.Contains(s.Group) && s.State is not ('Z' or 'X')).Select(s => s.Pid).ToList();

    /// <summary>How many threads of <paramref name="pid"/> have not exited yet, read once, with no waiting (0 once it is gone).</summary>
    public static int LiveThreadsOf(int pid)
    {
        var tasks = $"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/task";
        try
        {
            return Directory.EnumerateDirectories(tasks).Count(task =>
            {
                try
                {
                    var stat = File.ReadAllText(Path.Combine(task, "stat"));
                    return stat[(stat.LastIndexOf(')') + 2)..][0] is not ('Z' or 'X');
                }
                catch (IOException)
                {
                    return false;
                }
            });
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>Children of the current process that have exited but were never reaped.</summary>
    public static IReadOnlyList<int> ZombieChildren()
    {
        var self = System.Environment.ProcessId;
        return AllStats().Where(s => s.ParentPid == self && s.State == 'Z').Select(s => s.Pid).ToList();
    }

    /// <summary>/proc/PID/cmdline with NULs turned into spaces, or a placeholder if unreadable.</summary>
    public static string CommandLine(int pid)
    {
        try
        {
            var raw = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/cmdline");
            return raw.TrimEnd('\0').Replace('\0', ' ');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "<cmdline unavailable>";
        }
    }

    /// <summary>
    /// For tests that run system programs, which the pid log does not see: fails nothing itself, but returns (and
    /// SIGKILLs) every live process whose working directory is still <paramref name="directory"/> after 2 s to settle.
    /// </summary>
    public static IReadOnlyList<string> KillSurvivorsIn(string directory)
    {
        // Polling is deliberate, as in AssertNoSurvivors: bounded, and it ends as soon as everything is gone.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(2);
        while (true)
        {
            var found = new List<int>();
            foreach (var entry in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(System.IO.Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
                try
                {
                    if (new DirectoryInfo(System.IO.Path.Combine(entry, "cwd")).LinkTarget == directory && IsAlive(pid)) found.Add(pid);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // Gone while we looked.
                }
            }
            if (found.Count == 0 || DateTime.UtcNow >= deadline)
            {
                var report = found.Select(pid => $"pid {pid}: {CommandLine(pid)}").ToList();
                foreach (var pid in found) _ = Kill(pid, SIGKILL);
                return report;
            }
            Thread.Sleep(20);
        }
    }

    /// <summary>Sends <paramref name="signal"/>; returns false if the process does not exist.</summary>
    public static bool Kill(int pid, int signal) => NativeMethods.kill(pid, signal) == 0;

    private static IEnumerable<Stat> AllStats()
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(System.IO.Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                && TryReadStat(pid, out var stat))
            {
                yield return stat;
            }
        }
    }

    private static bool TryReadStat(int pid, out Stat stat)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Gone (or going) while we looked: FileNotFound, DirectoryNotFound or ESRCH.
            stat = default;
            return false;
        }

        // "pid (comm) state ppid ... starttime(22) ...": comm may hold spaces and ')', so split
        // after the last ')'. Field 3 (state) is then index 0, ppid index 1, pgrp index 2, starttime index 19.
        var close = text.LastIndexOf(')');
        var fields = close < 0 ? [] : text[(close + 2)..].Split(' ');
        if (fields.Length < 20
            || !int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var ppid)
            || !int.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out var group)
            || !long.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out var start))
        {
            stat = default;
            return false;
        }

        stat = new Stat(pid, fields[0][0], ppid, group, start);
        return true;
    }

    private readonly record struct Stat(int Pid, char State, int ParentPid, int Group, long StartTime);

    private static class NativeMethods
    {
        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
#pragma warning disable SYSLIB1054 // LibraryImport needs AllowUnsafeBlocks, which the test project does not set.
        internal static extern int kill(int pid, int sig);
#pragma warning restore SYSLIB1054
    }
}
