namespace Timebox.Platform.Unix;

/// <summary>
/// The one small process that kills the process groups of <see cref="Command.KillOnParentExit"/> runs when the host
/// dies. It is /bin/sh reading a pipe whose only write end the host holds: each run's child writes "+PID" before exec
/// (so the program never runs unregistered), the host writes "-PID" before reaping it (so a recycled group id is never
/// signaled). However the host ends, SIGKILL included, the kernel closes the write end; the guardian reads end-of-file
/// and sends SIGKILL to each registered group and main process. It ignores the signals a terminal or a process-group
/// kill sends, lives in its own process group, and is detached (a subshell whose parent exits at once), so the host
/// gets no long-lived child of its own; the host learns of its death, should someone kill it, from the pipe.
/// </summary>
/// <remarks>Touched on the event loop thread only, as the runs that use it.</remarks>
internal sealed class ParentExitGuardian
{
    private const string Script = """
        exec 3<&0
        (
          trap '' HUP INT QUIT TERM PIPE USR1 USR2 ALRM XCPU XFSZ VTALRM PROF
          live=' '
          while read -r line; do
            case $line in
              +*) live="$live${line#+} " ;;
              -*) pid=${line#-}; case $live in *" $pid "*) live="${live%% $pid *} ${live#* $pid }" ;; esac ;;
            esac
          done <&3
          for pid in $live; do kill -s KILL -- "-$pid" 2>/dev/null; kill -s KILL "$pid" 2>/dev/null; done
        ) </dev/null &
        """;

    private static ParentExitGuardian? _current;

    private ParentExitGuardian(int writeFd) => WriteFd = writeFd;

    /// <summary>The pipe the runs' children register on (close-on-exec: only the child's pre-exec code writes to it).</summary>
    public int WriteFd { get; }

    /// <summary>The running guardian, started on first use (or again if it was killed). Loop thread only.</summary>
    public static unsafe ParentExitGuardian Get(EventLoop loop)
    {
        if (_current is { } running) return running;
        var fds = stackalloc int[2];
        if (Libc.pipe2(fds, Libc.O_CLOEXEC) != 0) throw Libc.Failure("creating the parent-exit guardian's pipe");
        try
        {
            var shell = new Command("/bin/sh", "-c", Script).WithWorkingDirectory("/");
            int pidfd;
            try
            {
                PosixSpawner.Spawn(new SpawnRequest(shell, "/bin/sh", "/", EnvironmentBlock.Empty, fds[0], NullDevice.Fd, NullDevice.Fd, SpawnOptions.Default), out pidfd);
            }
            catch (CommandStartException exception)
            {
                // The run's start fails, in the run's name: the guardian's script is not what the caller asked to run.
                throw new IOException($"starting the parent-exit guardian failed: {exception.Reason}", exception);
            }
            // The outer shell exits as soon as the guardian subshell is started.
            if (pidfd >= 0) loop.Watch(pidfd, _ => { loop.Unwatch(pidfd); ExitStatus.Reap(pidfd); });
            var guardian = new ParentExitGuardian(fds[1]);
            // A pipe's write end reports an error once no reader is left: the guardian has died.
            loop.Watch(fds[1], _ => guardian.OnEnded(loop));
            _current = guardian;
            return guardian;
        }
        catch
        {
            Libc.close(fds[1]);
            throw;
        }
        finally
        {
            Libc.close(fds[0]);
        }
    }

    /// <summary>Tells the guardian that <paramref name="pid"/>'s run is over, before it is reaped. Loop thread.</summary>
    public unsafe void Unregister(int pid)
    {
        var line = System.Text.Encoding.ASCII.GetBytes(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"-{pid}\n"));
        fixed (byte* bytes = line) Libc.write(WriteFd, bytes, line.Length);
    }

    // Only if someone killed it while the host lives: the next run starts another. The write end stays open (runs
    // registered with it still write "-PID" there, and a closed descriptor number could be reused for another file);
    // those runs keep the parent-death signal of their main process only.
    private void OnEnded(EventLoop loop)
    {
        loop.Unwatch(WriteFd);
        if (_current == this) _current = null;
    }
}
