using System.Globalization;
using System.Text;

namespace Timebox.Platform.Unix;

/// <summary>
/// A pids cgroup made for one run (<see cref="ProcessLimitMechanism.PidsCgroup"/>): pids.max caps the run's tasks,
/// the child joins it between fork and exec through <see cref="ProcsFd"/>, and <see cref="Remove"/> kills what is left
/// in it and removes it. Found under the host's own cgroup of a cgroup v1 pids hierarchy, or of cgroup v2 when the
/// host's cgroup delegates the pids controller to its children.
/// </summary>
internal sealed class PidsCgroup
{
    // Leftovers are killed and waited for in rounds; what forks between rounds is bounded by pids.max, so a few suffice.
    private const int MaxRemoveRounds = 12;
    private const int OpenWriteOnly = 1;
    private static int _sequence;

    private readonly string _directory;
    private readonly string _relativePath;
    private readonly Dictionary<int, int> _dying = [];
    private int _rounds;

    private PidsCgroup(string directory, string relativePath, int procsFd)
    {
        _directory = directory;
        _relativePath = relativePath;
        ProcsFd = procsFd;
    }

    /// <summary>cgroup.procs of the new cgroup, open for writing: the child writes "0" to it to join; -1 once closed.</summary>
    public int ProcsFd { get; private set; }

    /// <summary>
    /// The directory new cgroups are made in, or null when none can be: the host's own cgroup in the pids hierarchy,
    /// where a test cgroup could be made with a pids.max of its own (and removed again).
    /// </summary>
    public static (string Directory, string RelativePath)? FindBase()
    {
        try
        {
            foreach (var (directory, relative) in Candidates())
            {
                var probe = Path.Combine(directory, $"timebox-probe-{Environment.ProcessId}");
                try
                {
                    Directory.CreateDirectory(probe);
                    var usable = File.Exists(Path.Combine(probe, "pids.max"));
                    Directory.Delete(probe);
                    if (usable) return (directory, relative);
                }
                catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
                {
                    // Not ours to write (read-only mount, no delegation): the next candidate, or none.
                }
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // No /proc/self/cgroup or mountinfo to read: no cgroups here.
        }
        return null;
    }

    /// <summary>Makes the run's cgroup under <paramref name="baseDirectory"/> with pids.max = <paramref name="maxTasks"/>.</summary>
    /// <exception cref="IOException">It could not be made or set up.</exception>
    public static unsafe PidsCgroup Create((string Directory, string RelativePath) baseDirectory, int maxTasks)
    {
        var name = string.Create(CultureInfo.InvariantCulture, $"timebox-{Environment.ProcessId}-{Interlocked.Increment(ref _sequence)}");
        var directory = Path.Combine(baseDirectory.Directory, name);
        Directory.CreateDirectory(directory);
        try
        {
            File.WriteAllText(Path.Combine(directory, "pids.max"), maxTasks.ToString(CultureInfo.InvariantCulture));
            int fd;
            fixed (byte* path = Encoding.UTF8.GetBytes(Path.Combine(directory, "cgroup.procs") + "\0"))
                fd = Libc.open(path, OpenWriteOnly | Libc.O_CLOEXEC);
            if (fd < 0) throw new IOException($"Cannot open {directory}/cgroup.procs: errno {Libc.Errno}");
            return new PidsCgroup(directory, baseDirectory.RelativePath.TrimEnd('/') + "/" + name, fd);
        }
        catch
        {
            Directory.Delete(directory);
            throw;
        }
    }

    /// <summary>The child has joined (or failed): the host needs the descriptor no longer.</summary>
    public void CloseProcsFd()
    {
        if (ProcsFd < 0) return;
        Libc.close(ProcsFd);
        ProcsFd = -1;
    }

    /// <summary>
    /// Kills with SIGKILL whatever is still in the cgroup, and removes the cgroup once it is empty: at once when it
    /// already is, otherwise when the last killed process has ended (loop thread, no waiting). A cgroup still not empty
    /// after a few rounds (a process stuck in the kernel) is left behind, empty of anything alive that Timebox can kill.
    /// </summary>
    public void Remove(EventLoop loop)
    {
        CloseProcsFd();
        Sweep(loop);
    }

    private void Sweep(EventLoop loop)
    {
        if (_rounds++ >= MaxRemoveRounds) return;
        foreach (var pid in Members())
        {
            if (_dying.ContainsKey(pid)) continue;
            var pidfd = Libc.PidfdOpen(pid);
            if (pidfd < 0) continue;
            // The pidfd pins the process; checking its cgroup after opening it makes sure the pid was not recycled
            // by an unrelated process between the listing and the open.
            if (!IsMember(pid))
            {
                Libc.close(pidfd);
                continue;
            }
            Libc.PidfdSendSignal(pidfd, Signals.Kill);
            _dying[pid] = pidfd;
            loop.Watch(pidfd, _ => OnMemberEnded(loop, pid));
        }
        if (_dying.Count > 0) return;
        try
        {
            Directory.Delete(_directory);
        }
        catch (IOException)
        {
            // Busy with nothing listed to wait for: tasks still on their way out (a process whose main thread has
            // exited is no longer listed while its other threads finish). cgroup v1 gives no event for it, so look
            // again after a delay that doubles each round: 10 ms, 20 ms, … about 10 s in all.
            loop.Schedule(TimeSpan.FromMilliseconds(5 << Math.Min(_rounds, 10)), () => Sweep(loop));
        }
    }

    private void OnMemberEnded(EventLoop loop, int pid)
    {
        var pidfd = _dying[pid];
        loop.Unwatch(pidfd);
        Libc.close(pidfd);
        _dying.Remove(pid);
        if (_dying.Count == 0) Sweep(loop);
    }

    private List<int> Members()
    {
        var members = new List<int>();
        try
        {
            foreach (var line in File.ReadLines(Path.Combine(_directory, "cgroup.procs")))
                if (int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) members.Add(pid);
        }
        catch (IOException)
        {
            // Already removed.
        }
        return members;
    }

    private bool IsMember(int pid)
    {
        try
        {
            return File.ReadLines($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/cgroup")
                .Any(line => line.EndsWith(":" + _relativePath, StringComparison.Ordinal) && IsPidsLine(line));
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    // "N:pids:/path" in a v1 hierarchy, "0::/path" in cgroup v2.
    private static bool IsPidsLine(string line)
    {
        var controllers = line.Split(':')[1];
        return controllers.Length == 0 || controllers.Split(',').Contains("pids");
    }

    private static IEnumerable<(string Directory, string RelativePath)> Candidates()
    {
        string? v1Path = null, v2Path = null;
        foreach (var line in File.ReadLines("/proc/self/cgroup"))
        {
            var parts = line.Split(':', 3);
            if (parts.Length != 3) continue;
            if (parts[0] == "0" && parts[1].Length == 0) v2Path = parts[2];
            else if (parts[1].Split(',').Contains("pids")) v1Path = parts[2];
        }
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            // "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS"
            var separator = line.IndexOf(" - ", StringComparison.Ordinal);
            if (separator < 0) continue;
            var fields = line[..separator].Split(' ');
            var tail = line[(separator + 3)..].Split(' ');
            if (fields.Length < 5 || tail.Length < 3) continue;
            var (root, mountPoint) = (Unescape(fields[3]), Unescape(fields[4]));
            var path = tail[0] switch
            {
                "cgroup" when tail[2].Split(',').Contains("pids") => v1Path,
                "cgroup2" => v2Path,
                _ => null,
            };
            // A mount shows the hierarchy from ROOT down; the host's cgroup must be inside it to be reachable.
            if (path is null || !path.StartsWith(root, StringComparison.Ordinal)) continue;
            var relative = root == "/" ? path : path[root.Length..];
            yield return (mountPoint + relative.TrimEnd('/'), path);
        }
    }

    // mountinfo escapes space, tab, newline and backslash as \ooo.
    private static string Unescape(string field)
    {
        if (!field.Contains('\\', StringComparison.Ordinal)) return field;
        var text = new StringBuilder(field.Length);
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length && field.AsSpan(i + 1, 3).IndexOfAnyExceptInRange('0', '7') < 0)
            {
                text.Append((char)(((field[i + 1] - '0') * 64) + ((field[i + 2] - '0') * 8) + (field[i + 3] - '0')));
                i += 3;
            }
            else
            {
                text.Append(field[i]);
            }
        }
        return text.ToString();
    }
}
