using System.Runtime.InteropServices;

namespace Timebox.Platform.Unix;

/// <summary>
/// The optional native spawn (Native/timebox_spawn.c: libtimebox_spawn.so beside the assembly, or linked statically
/// into the native timebox CLI) that returns the child's pidfd from the clone itself. Without it a child that ends
/// at once can be reaped by another reaper in the host before pidfd_open, and its exit status is lost.
/// </summary>
internal static unsafe partial class SpawnShim
{
    private const string Library = "timebox_spawn";
    private const int ExpectedAbi = 5;

    public static bool Available { get; } = Probe();

    [LibraryImport(Library, EntryPoint = "timebox_spawn")]
    private static partial int Spawn(byte* path, byte** argv, byte** envp, byte* cwd, int stdin, int stdout, int stderr, int* keptFds, int keptCount, SpawnOptions* options, int* pid, int* pidfd);

    [LibraryImport(Library, EntryPoint = "timebox_spawn_abi")]
    private static partial int Abi();

    /// <summary>
    /// Returns 0 with the pid and pidfd set, or the errno of the failure (exec errors included). <paramref name="keptFds"/>
    /// (ascending, each 3 or more) stay open in the child; every other descriptor from 3 up is closed.
    /// </summary>
    public static int Run(byte* path, byte** argv, byte** envp, byte* cwd, int stdin, int stdout, int stderr, ReadOnlySpan<int> keptFds, in SpawnOptions options, out int pid, out int pidfd)
    {
        int childPid = 0, childPidfd = -1, error;
        fixed (int* kept = keptFds)
        fixed (SpawnOptions* optionsPointer = &options)
            error = Spawn(path, argv, envp, cwd, stdin, stdout, stderr, kept, keptFds.Length, optionsPointer, &childPid, &childPidfd);
        pid = childPid;
        pidfd = childPidfd;
        return error;
    }

    private static bool Probe()
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            return Abi() == ExpectedAbi;
        }
        catch (Exception exception) when (exception is DllNotFoundException or EntryPointNotFoundException)
        {
            return false; // not built here (no C compiler): posix_spawn + pidfd_open it is
        }
    }
}
