using System.Runtime.InteropServices;

namespace Timebox.Platform.Unix;

/// <summary>
/// The optional native spawn (libtimebox_spawn.so, built from Native/timebox_spawn.c) that returns the child's
/// pidfd from the clone itself. Without it a child that ends at once can be reaped by another reaper in the host
/// before pidfd_open, and its exit status is lost.
/// </summary>
internal static unsafe class SpawnShim
{
    private static readonly delegate* unmanaged<byte*, byte**, byte**, byte*, int, int, int, int*, int*, int> Spawn = Load();

    public static bool Available => Spawn != null;

    /// <summary>Returns 0 with the pid and pidfd set, or the errno of the failure (exec errors included).</summary>
    public static int Run(byte* path, byte** argv, byte** envp, byte* cwd, int stdin, int stdout, int stderr, out int pid, out int pidfd)
    {
        int childPid = 0, childPidfd = -1;
        var error = Spawn(path, argv, envp, cwd, stdin, stdout, stderr, &childPid, &childPidfd);
        pid = childPid;
        pidfd = childPidfd;
        return error;
    }

    private static delegate* unmanaged<byte*, byte**, byte**, byte*, int, int, int, int*, int*, int> Load()
    {
        if (!OperatingSystem.IsLinux()) return null;
        var path = Path.Combine(AppContext.BaseDirectory, "libtimebox_spawn.so");
        if (!NativeLibrary.TryLoad(path, out var library) && !NativeLibrary.TryLoad("libtimebox_spawn.so", typeof(SpawnShim).Assembly, null, out library))
            return null;
        return NativeLibrary.TryGetExport(library, "timebox_spawn", out var export)
            ? (delegate* unmanaged<byte*, byte**, byte**, byte*, int, int, int, int*, int*, int>)export
            : null;
    }
}
