using System.Globalization;
using System.Runtime.InteropServices;
using Timebox;

// Run by the tests, then killed with SIGKILL: starts `TestChild spawn same-group [ hold ] print ready hold` with
// WithKillOnParentExit() from a thread that ends at once (as a thread-pool thread retires), waits until that thread is
// gone from the kernel, checks that the command still runs, prints "running PID" and waits to be killed.
// With --without-shim (run from a copy of this directory without libtimebox_spawn.so), instead checks that limits and
// kill-on-parent-exit are refused rather than run without them, and prints one line per refusal.
// Usage: Timebox.ParentExitHost [--without-shim] TESTCHILD
if (args[0] == "--without-shim")
{
    foreach (var refused in new[] { new Command(args[1]).WithLimits(new ResourceLimits { MaxCpuTime = TimeSpan.FromSeconds(1) }), new Command(args[1]).WithKillOnParentExit() })
    {
        try
        {
            using var started = refused.Start();
            Console.WriteLine($"started: {refused}");
            return 5;
        }
        catch (UnsupportedOptionException exception)
        {
            Console.WriteLine($"refused {exception.Option}");
        }
    }
    return 0;
}

var command = new Command(args[0], "spawn", "same-group", "[", "hold", "]", "print", "ready", "hold")
    .WithStdout(OutputTarget.Pipe)
    .WithKillOnParentExit();

RunningProcess? process = null;
var threadId = 0;
var starter = new Thread(() =>
{
    threadId = Native.GetTid();
    process = command.Start();
});
starter.Start();
starter.Join();

using (var reader = new StreamReader(process!.StandardOutput!))
{
    if (reader.ReadLine() != "ready") return 2;
}

// Join returns before the kernel thread is gone; PR_SET_PDEATHSIG would fire only when it is.
var task = $"/proc/self/task/{threadId.ToString(CultureInfo.InvariantCulture)}";
var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
while (Directory.Exists(task))
{
    if (DateTime.UtcNow > deadline) return 3;
    Thread.Sleep(5);
}

if (process.Wait(TimeSpan.FromMilliseconds(200)) is { } early)
{
    Console.WriteLine($"ended early: {early}");
    return 4;
}

Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"running {process.ProcessId}"));
Thread.Sleep(Timeout.Infinite);
return 0;

internal static partial class Native
{
    [LibraryImport("libc", EntryPoint = "gettid")]
    public static partial int GetTid();
}
