namespace Timebox.Platform.Unix;

/// <summary>The posix_spawn path on glibc.</summary>
internal static unsafe partial class PosixSpawner
{
    // glibc's sigfillset and sigaddset both refuse its two internal real-time signals (32, 33); posix_spawn
    // would then keep them ignored in the child if the host ignores them, so their bits are set directly.
    private static readonly int[] GlibcInternalSignals = [32, 33];

    private static void FillSignalSetsLinux(byte* defaults, byte* mask, in SpawnOptions options)
    {
        foreach (var signal in GlibcInternalSignals) defaults[(signal - 1) / 8] |= (byte)(1 << ((signal - 1) % 8));
        // glibc's sigset_t keeps signal n at bit n-1 from its first byte on, as SpawnOptions does.
        *(ulong*)defaults &= ~options.KeepIgnored;
        *(ulong*)mask = options.SignalMask;
    }

    // A stream without a descriptor of its own keeps the host's: nothing closes 0, 1 and 2 in the child.
    private static void AddRedirectLinux(byte* actions, int fd, int target)
    {
        if (fd >= 0) Check(Libc.posix_spawn_file_actions_adddup2(actions, fd, target));
    }

    private static void KeepOnlyLinux(byte* actions, int[] kept)
    {
        // glibc clears close-on-exec for a dup2 onto the descriptor itself.
        foreach (var fd in kept) Check(Libc.posix_spawn_file_actions_adddup2(actions, fd, fd));
        // glibc has no action that closes a range below a kept descriptor: the gaps are closed one by one (a close
        // action ignores a descriptor that is not open), everything above with closefrom.
        var firstClosed = 3;
        foreach (var fd in kept)
        {
            for (var gap = firstClosed; gap < fd; gap++) Check(Libc.posix_spawn_file_actions_addclose(actions, gap));
            firstClosed = fd + 1;
        }
        Check(Libc.posix_spawn_file_actions_addclosefrom_np(actions, firstClosed));
    }

    private static int HoldLinux(Command command, int pid)
    {
        var pidfd = Libc.PidfdOpen(pid);
        // ESRCH: the child already ended and someone else reaped it (the .NET runtime does so for every
        // child when the host is PID 1 or SIGCHLD is ignored); its output is still in the pipes, its status is lost.
        if (pidfd < 0 && Libc.Errno is var openError && openError != Libc.ESRCH)
        {
            // Not held, it must not run; reaped at once, it leaves no zombie behind.
            Libc.kill(pid, Signals.Kill);
            ExitStatus.ReapByPid(pid);
            throw new CommandStartException(command, openError == Libc.ENOSYS
                ? "pidfd_open is missing: Timebox needs Linux 5.3 or later"
                : $"The program was started but could not be held: pidfd_open failed: {Libc.ErrorText(openError)}");
        }
        return pidfd;
    }
}
