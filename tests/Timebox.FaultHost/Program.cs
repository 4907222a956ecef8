using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using Timebox;

// Run by the tests where a fault must be set up in the host process itself, which the test runner's own process
// cannot afford. Prints one "key: value" line per finding.
//   exhaust FREE MODE [warm|contained]: with the descriptor table full but for FREE slots, so that a run fails at whichever step
//     needs one descriptor more than is left (the shared loop, its thread, /dev/null, a pipe, the shim, the spawn); then
//     the limit is raised again and the library must work, having leaked nothing and closed nothing of this process.
//     MODE: async (RunAsync), blocking (Run) or start (Start). warm: one run first, so the failures come later.
//     contained: the run is contained and dies with this process, which needs more set-up (its output is discarded).
//   workdir DIR: a run in working directory DIR (the test runs this host as a user who cannot enter it).
if (args[0] == "workdir")
{
    Console.WriteLine($"workdir: {Attempt(new Command("true").WithWorkingDirectory(args[1]), "blocking")}");
    return;
}
var free = int.Parse(args[1], CultureInfo.InvariantCulture);
var mode = args[2];
var command = new Command("sh", "-c", "echo ok").WithTimeout(TimeSpan.FromSeconds(30));
// Its output discarded, so that no pipe is made before the containment is looked for and set up.
if (args.Length > 3 && args[3] == "contained")
    command = command.WithContainment().WithKillOnParentExit().WithStdout(OutputTarget.Discard).WithStderr(OutputTarget.Discard);
// The runtime opens each assembly on first use and remembers a failure to: loaded now, with room to spare, they
// leave the full table to the library alone.
LoadReferences(typeof(Command).Assembly, []);
LoadReferences(typeof(Descriptors).Assembly, []);
Console.Out.Flush();
// So are the thread pool's threads: the runtime ends the process ("Out of memory.") when it cannot start one it wants.
// Eight are made to exist at once now, and kept as the pool's minimum, so that a busy machine's slow runs do not make the
// pool inject a thread while the table is full.
const int PoolThreads = 8;
ThreadPool.SetMinThreads(PoolThreads, PoolThreads);
using (var allStarted = new Barrier(PoolThreads))
    Task.WaitAll(Enumerable.Range(0, PoolThreads).Select(_ => Task.Factory.StartNew(() => allStarted.SignalAndWait(), TaskCreationOptions.None)).ToArray());
var warmUp = args.Length > 3 && args[3] == "warm" ? Attempt(command, mode) : "none";
var standardStreams = StandardStreams();
var before = Descriptors.Snapshot();

var original = Descriptors.SoftLimit;
// A table of 20000 takes long to fill; a few hundred is as full as any.
Descriptors.SoftLimit = Math.Min(original, (ulong)before.Count + 256);
var fillers = Descriptors.FillAllBut(free);
var first = Attempt(command, mode);
// Each failed run that leaked would leave fewer descriptors to the next, and fail it sooner.
var again = Enumerable.Range(0, 20).Select(_ => Attempt(command, mode)).Distinct().ToList();
// Whatever the failed runs left for the finalizers (a half-built loop above all) is finalized now, while nothing
// else can take descriptor 0 if it was wrongly closed.
GC.Collect();
GC.WaitForPendingFinalizers();
GC.Collect();
Descriptors.SoftLimit = original;
var leaked = Descriptors.Snapshot().Where(entry => !before.ContainsKey(entry.Key) && !fillers.Contains(entry.Key)).ToList();
var raised = Attempt(command, mode);
Descriptors.Close(fillers);
var released = Attempt(command, mode);

Console.WriteLine($"warm-up: {warmUp}");
Console.WriteLine($"first: {first}");
Console.WriteLine($"again: {string.Join(" | ", again)}");
Console.WriteLine($"new descriptors: {string.Join(", ", leaked.Select(entry => $"{entry.Key}={entry.Value}"))}");
Console.WriteLine($"standard streams kept: {StandardStreams() == standardStreams}");
Console.WriteLine($"raised: {raised}");
Console.WriteLine($"released: {released}");

static void LoadReferences(Assembly assembly, HashSet<string> loaded)
{
    foreach (var name in assembly.GetReferencedAssemblies())
        if (loaded.Add(name.FullName)) LoadReferences(Assembly.Load(name), loaded);
}

static string StandardStreams() => string.Join(' ', Enumerable.Range(0, 3).Select(fd => Descriptors.Target(fd) ?? "closed"));

static string Attempt(Command command, string mode)
{
    try
    {
        var result = mode switch
        {
            "async" => command.RunAsync().GetAwaiter().GetResult(),
            "blocking" => command.Run(),
            _ => StartAndWait(command),
        };
        if (!result.Succeeded) return $"failed run: {result}";
        return result.Stdout.Text.Length == 0 ? "ok" : $"ok: {result.Stdout.Text.TrimEnd()}";
    }
#pragma warning disable CA1031 // every failure is the finding
    catch (Exception exception)
#pragma warning restore CA1031
    {
        return $"{exception.GetType().Name}: {exception.Message.ReplaceLineEndings(" ")}";
    }
}

static RunResult StartAndWait(Command command)
{
    using var process = command.Start();
    return process.WaitAsync().GetAwaiter().GetResult();
}

internal static unsafe partial class Descriptors
{
    private const int RlimitNofile = 7;

    public static ulong SoftLimit
    {
        get
        {
            var limit = stackalloc ulong[2];
            getrlimit(RlimitNofile, limit);
            return limit[0];
        }
        set
        {
            var limit = stackalloc ulong[2];
            getrlimit(RlimitNofile, limit);
            limit[0] = value;
            if (setrlimit(RlimitNofile, limit) != 0) throw new InvalidOperationException("setrlimit failed");
        }
    }

    /// <summary>The open descriptors and what each refers to.</summary>
    public static Dictionary<int, string> Snapshot() =>
        Directory.GetFileSystemEntries("/proc/self/fd")
            .Select(path => int.Parse(Path.GetFileName(path), CultureInfo.InvariantCulture))
            .Select(fd => (Fd: fd, Target: Target(fd)))
            .Where(entry => entry.Target is not null)
            .ToDictionary(entry => entry.Fd, entry => entry.Target!);

    public static string? Target(int fd)
    {
        try
        {
            return new FileInfo($"/proc/self/fd/{fd}").LinkTarget;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Opens /dev/null until the table is full, then closes <paramref name="free"/> of them again.</summary>
    public static HashSet<int> FillAllBut(int free)
    {
        var fds = new List<int>();
        fixed (byte* path = "/dev/null\0"u8)
        {
            for (var fd = open(path, 0x80000); fd >= 0; fd = open(path, 0x80000)) fds.Add(fd);
        }
        Close(fds.TakeLast(free));
        return [.. fds.SkipLast(free)];
    }

    public static void Close(IEnumerable<int> fds)
    {
        foreach (var fd in fds.ToList()) close(fd);
    }

    [LibraryImport("libc")] private static partial int open(byte* path, int flags);
    [LibraryImport("libc")] private static partial int close(int fd);
    [LibraryImport("libc")] private static partial int getrlimit(int resource, ulong* limit);
    [LibraryImport("libc")] private static partial int setrlimit(int resource, ulong* limit);
}
