using System.Runtime.InteropServices;

namespace Timebox.Platform.Unix;

/// <summary>The posix_spawn path: macOS always, Linux where the native shim is missing.</summary>
internal static unsafe partial class PosixSpawner
{
    private const int AttrSize = 1024, ActionsSize = 1024, SigsetSize = 128;

    private static int SpawnThroughPosixSpawn(in SpawnRequest request, byte* path, byte** argv, byte* workingDirectory, int[] kept, out int pidfd)
    {
        // posix_spawn has no "this process's environment" of its own: the block is built here when the request has none.
        var environment = request.Environment ?? EnvironmentBlock.For(request.Command);
        var memory = (byte*)NativeMemory.AllocZeroed(AttrSize + ActionsSize + (2 * SigsetSize));
        var attr = memory;
        var actions = memory + AttrSize;
        try
        {
            Check(Libc.posix_spawnattr_init(attr));
            Check(Libc.posix_spawn_file_actions_init(actions));
            try
            {
                SetAttributes(attr, actions + ActionsSize, request.Options);
                AddRedirect(actions, request.Stdin, 0);
                AddRedirect(actions, request.Stdout, 1);
                AddRedirect(actions, request.Stderr, 2);
                KeepOnly(actions, kept);
                if (workingDirectory is not null) Check(Libc.posix_spawn_file_actions_addchdir_np(actions, workingDirectory));

                int pid;
                var error = Libc.posix_spawn(&pid, path, actions, attr, argv, environment.Pointers);
                GC.KeepAlive(environment);
                if (error != 0) throw StartError(request, error, GuessStep(workingDirectory, error));
                pidfd = Hold(request.Command, pid);
                return pid;
            }
            finally
            {
                Libc.posix_spawn_file_actions_destroy(actions);
                Libc.posix_spawnattr_destroy(attr);
            }
        }
        finally
        {
            NativeMemory.Free(memory);
        }
    }

    // sigsets: room for two sigset_t, the signals set back to default and the mask.
    private static void SetAttributes(byte* attr, byte* sigsets, in SpawnOptions options)
    {
        var defaults = sigsets;
        var mask = sigsets + SigsetSize;
        Libc.sigfillset(defaults);
        Libc.sigemptyset(mask);
        FillSignalSets(defaults, mask, options);
        Check(Libc.posix_spawnattr_setsigdefault(attr, defaults));
        Check(Libc.posix_spawnattr_setsigmask(attr, mask));
        var flags = Libc.POSIX_SPAWN_SETSIGDEF | Libc.POSIX_SPAWN_SETSIGMASK | ClosingFlags;
        if (options.NewProcessGroup != 0)
        {
            Check(Libc.posix_spawnattr_setpgroup(attr, 0));
            flags |= Libc.POSIX_SPAWN_SETPGROUP;
        }
        Check(Libc.posix_spawnattr_setflags(attr, (short)flags));
    }

    private static void FillSignalSets(byte* defaults, byte* mask, in SpawnOptions options)
    {
        if (OperatingSystem.IsMacOS()) FillSignalSetsDarwin(defaults, mask, options); else FillSignalSetsLinux(defaults, mask, options);
    }

    private static short ClosingFlags => OperatingSystem.IsMacOS() ? ClosingFlagsDarwin : (short)0;

    // -1 means "keep the host's descriptor" (inherit).
    private static void AddRedirect(byte* actions, int fd, int target)
    {
        if (OperatingSystem.IsMacOS()) AddRedirectDarwin(actions, fd, target); else AddRedirectLinux(actions, fd, target);
    }

    // Every descriptor from 3 up is closed in the child except those kept (ascending), which lose close-on-exec.
    private static void KeepOnly(byte* actions, int[] kept)
    {
        if (OperatingSystem.IsMacOS()) KeepOnlyDarwin(actions, kept); else KeepOnlyLinux(actions, kept);
    }

    private static int Hold(Command command, int pid) => OperatingSystem.IsMacOS() ? HoldDarwin() : HoldLinux(command, pid);

    // posix_spawn reports an error from the child's chdir as it does one from exec: a working directory the host cannot
    // enter itself is taken as the culprit, as the native shim would have reported it.
    private static SpawnStep GuessStep(byte* workingDirectory, int error) =>
        workingDirectory is not null && error is (Libc.ENOENT or Libc.ENOTDIR or Libc.EACCES) && Libc.access(workingDirectory, Libc.X_OK) != 0
            ? SpawnStep.WorkingDirectory
            : SpawnStep.Exec;

    private static void Check(int result)
    {
        if (result != 0) throw Libc.Failure("setting up posix_spawn", result);
    }
}
