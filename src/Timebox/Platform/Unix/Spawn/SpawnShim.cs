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
    private const int ExpectedAbi = 6;

    private static readonly RetryingLazy<bool> Presence = new(Probe);

    /// <summary>True when the shim is here (it is Linux-only: clone with CLONE_PIDFD); found on first use.</summary>
    /// <exception cref="IOException">It could not be loaded for want of a descriptor: it is not known yet, the next use looks again.</exception>
    public static bool Available => OperatingSystem.IsLinux() && Presence.Value;

    [LibraryImport(Library, EntryPoint = "timebox_spawn")]
    private static partial int Spawn(byte* path, byte** argv, byte** envp, byte* cwd, int stdin, int stdout, int stderr, int* keptFds, int keptCount, SpawnOptions* options, int* pid, int* pidfd, int* step);

    [LibraryImport(Library, EntryPoint = "timebox_spawn_abi")]
    private static partial int Abi();

    /// <summary>
    /// Returns 0 with the pid and pidfd set, or the errno of the failure (exec errors included) with the step that failed.
    /// <paramref name="path"/>, <paramref name="argv"/> and <paramref name="workingDirectory"/> are the request's in C form;
    /// <paramref name="keptFds"/> (ascending, each 3 or more) stay open in the child; every other descriptor from 3 up is closed.
    /// </summary>
    public static int Run(in SpawnRequest request, byte* path, byte** argv, byte* workingDirectory, ReadOnlySpan<int> keptFds,
        out int pid, out int pidfd, out SpawnStep step)
    {
        int childPid = 0, childPidfd = -1, failedStep = (int)SpawnStep.Exec, error;
        var envp = request.Environment is null ? null : request.Environment.Pointers;
        var options = request.Options;
        fixed (int* kept = keptFds)
            error = Spawn(path, argv, envp, workingDirectory, request.Stdin, request.Stdout, request.Stderr, kept, keptFds.Length, &options, &childPid, &childPidfd, &failedStep);
        pid = childPid;
        pidfd = childPidfd;
        step = (SpawnStep)failedStep;
        return error;
    }

    private static bool Probe()
    {
        try
        {
            return Abi() == ExpectedAbi;
        }
        catch (Exception exception) when (exception is DllNotFoundException or EntryPointNotFoundException)
        {
            // Loading a library takes a descriptor too: one that could not be opened now is not known to be missing.
            var shortage = Libc.DescriptorShortage();
            if (shortage != 0) throw Libc.Failure("loading the native spawn shim", shortage);
            return false; // not built here (no C compiler): posix_spawn + pidfd_open it is
        }
    }
}
