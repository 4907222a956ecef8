namespace Timebox.Platform.Unix;

/// <summary>The posix_spawn path on macOS.</summary>
internal static unsafe partial class PosixSpawner
{
    // macOS has no closefrom action: it closes every descriptor that no file action names instead.
    private const short ClosingFlagsDarwin = Libc.POSIX_SPAWN_CLOEXEC_DEFAULT;

    private static void FillSignalSetsDarwin(byte* defaults, byte* mask, in SpawnOptions options)
    {
        // macOS's sigset_t is 32 bits, in its own signal numbering.
        *(uint*)defaults &= ~NativeSignals.ToNativeMask(options.KeepIgnored);
        *(uint*)mask = NativeSignals.ToNativeMask(options.SignalMask);
    }

    private static void AddRedirectDarwin(byte* actions, int fd, int target)
    {
        if (fd >= 0) Check(Libc.posix_spawn_file_actions_adddup2(actions, fd, target));
        // Under POSIX_SPAWN_CLOEXEC_DEFAULT the host's own 0/1/2 must be named to be kept; naming one that is not open
        // would fail the spawn with EBADF, where Linux would just start the child without it.
        else if (Libc.fcntl(target, Libc.F_GETFD, 0) >= 0) Check(Libc.posix_spawn_file_actions_addinherit_np(actions, target));
    }

    // Every descriptor that no file action names is closed (POSIX_SPAWN_CLOEXEC_DEFAULT): the kept ones are named.
    private static void KeepOnlyDarwin(byte* actions, int[] kept)
    {
        foreach (var fd in kept) Check(Libc.posix_spawn_file_actions_addinherit_np(actions, fd));
    }

    // No pidfds: the child is held by its pid, which stays reserved until it is reaped (see ChildProcess).
    private static int HoldDarwin() => -1;
}
