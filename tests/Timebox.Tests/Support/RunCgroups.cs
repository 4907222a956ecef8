namespace Timebox.Tests.Support;

/// <summary>
/// The cgroups Timebox made for this test process's runs: directories named timebox-PID-N under the test process's own
/// cgroup, in every cgroup hierarchy mounted here.
/// </summary>
public static class RunCgroups
{
    /// <summary>Tests that make cgroups for their runs, and count them, run one class at a time.</summary>
    public const string Collection = "Cgroups: counts the runs' cgroups";

    /// <summary>Every such directory that exists now.</summary>
    public static IReadOnlyList<string> Existing()
    {
        var own = File.ReadLines("/proc/self/cgroup").Select(line => line.Split(':', 3)).Where(parts => parts.Length == 3).ToList();
        var found = new List<string>();
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            var separator = line.IndexOf(" - ", StringComparison.Ordinal);
            if (separator < 0) continue;
            var fields = line[..separator].Split(' ');
            var tail = line[(separator + 3)..].Split(' ');
            var options = tail[2].Split(',');
            // The v2 hierarchy is "0::PATH"; a v1 one is "N:CONTROLLERS:PATH", its controllers among the mount's options.
            var path = tail[0] switch
            {
                "cgroup2" => own.FirstOrDefault(parts => parts[0] == "0")?[2],
                "cgroup" => own.FirstOrDefault(parts => parts[1].Length > 0 && parts[1].Split(',').All(options.Contains))?[2],
                _ => null,
            };
            if (path is null || !path.StartsWith(fields[3], StringComparison.Ordinal)) continue;
            var directory = fields[4] + (fields[3] == "/" ? path : path[fields[3].Length..]);
            if (Directory.Exists(directory)) found.AddRange(Directory.GetDirectories(directory, $"timebox-{Environment.ProcessId}-*"));
        }
        return found;
    }

    /// <summary>Fails unless every run cgroup is gone within a few seconds (they are removed once their last process has ended).</summary>
    public static async Task AssertNoneLeft()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (Existing() is { Count: > 0 } left)
        {
            Assert.True(DateTime.UtcNow < deadline, $"cgroups left behind: {string.Join(", ", left)}");
            await Task.Delay(20);
        }
    }
}

/// <summary>See <see cref="RunCgroups.Collection"/>.</summary>
[CollectionDefinition(RunCgroups.Collection)]
public sealed class RunCgroupsCollection;
