using System.Text;

namespace Timebox.Platform.Unix;

/// <summary>
/// Where Timebox can make a cgroup per run (<see cref="RunCgroup"/>): this process's own cgroup in one hierarchy, a cgroup
/// v1 hierarchy of a given controller or the cgroup v2 one, where a probe cgroup could be made and had the file the run
/// needs (pids.max, memory.oom_control, cgroup.kill, …). Found once per purpose, on first use.
/// </summary>
/// <param name="Directory">The cgroup's directory, under the hierarchy's mount point.</param>
/// <param name="RelativePath">The cgroup's path inside the hierarchy, as /proc/PID/cgroup shows it.</param>
/// <param name="HierarchyPrefix">How the hierarchy's line in /proc/PID/cgroup starts ("4:memory:", "0::").</param>
/// <param name="IsV2">True for the cgroup v2 hierarchy.</param>
internal sealed record CgroupParent(string Directory, string RelativePath, string HierarchyPrefix, bool IsV2)
{
    /// <summary>
    /// The first usable place: a hierarchy of v1 controller <paramref name="v1Controller"/> (null: none) where a new cgroup
    /// has <paramref name="v1File"/>, or the v2 hierarchy where it has <paramref name="v2File"/> (null: v2 not wanted).
    /// Null when there is none (no cgroups, a read-only mount, no delegation).
    /// </summary>
    /// <exception cref="IOException">The process is out of descriptors: whether there is one is not known yet.</exception>
    public static CgroupParent? Find(string? v1Controller, string v1File, string? v2File)
    {
        try
        {
            foreach (var candidate in Candidates(v1Controller, v2File is not null))
            {
                var probe = Path.Combine(candidate.Directory, $"timebox-probe-{Environment.ProcessId}-{Guid.NewGuid():N}");
                try
                {
                    System.IO.Directory.CreateDirectory(probe);
                    var usable = File.Exists(Path.Combine(probe, candidate.IsV2 ? v2File! : v1File));
                    System.IO.Directory.Delete(probe);
                    if (usable) return candidate;
                }
                catch (Exception exception) when (exception is UnauthorizedAccessException || (exception is IOException io && !Libc.IsDescriptorShortage(io)))
                {
                    // Not ours to write (read-only mount, no delegation): the next candidate, or none.
                }
            }
        }
        catch (Exception exception) when (exception is UnauthorizedAccessException || (exception is IOException io && !Libc.IsDescriptorShortage(io)))
        {
            // No /proc/self/cgroup or mountinfo to read: no cgroups here.
        }
        return null;
    }

    private static IEnumerable<CgroupParent> Candidates(string? v1Controller, bool v2)
    {
        string? v1Path = null, v1Prefix = null, v2Path = null;
        foreach (var line in File.ReadLines("/proc/self/cgroup"))
        {
            var parts = line.Split(':', 3);
            if (parts.Length != 3) continue;
            if (parts[0] == "0" && parts[1].Length == 0) v2Path = parts[2];
            else if (v1Controller is not null && parts[1].Split(',').Contains(v1Controller)) (v1Path, v1Prefix) = (parts[2], $"{parts[0]}:{parts[1]}:");
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
            var (path, prefix, isV2) = tail[0] switch
            {
                "cgroup" when v1Controller is not null && tail[2].Split(',').Contains(v1Controller) => (v1Path, v1Prefix, false),
                "cgroup2" when v2 => (v2Path, "0::", true),
                _ => (null, null, false),
            };
            // A mount shows the hierarchy from ROOT down; the host's cgroup must be inside it to be reachable.
            if (path is null || prefix is null || !path.StartsWith(root, StringComparison.Ordinal)) continue;
            var relative = root == "/" ? path : path[root.Length..];
            yield return new CgroupParent(mountPoint + relative.TrimEnd('/'), path, prefix, isV2);
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
