using System.Runtime.InteropServices;
using System.Text;

namespace Timebox.Platform.Unix;

/// <summary>
/// Starts a program through the native shim, or posix_spawn where the shim is missing and always on macOS (vfork speed,
/// exec errors returned as codes): as <see cref="SpawnOptions"/> say (by default in its own process group, every signal
/// disposition back to default, SIGPIPE above all, and an empty signal mask), the given descriptors as 0/1/2, the
/// command's <see cref="Command.InheritedDescriptors"/> at their own numbers, and every other descriptor closed.
/// </summary>
internal static unsafe class PosixSpawner
{
    private const int AttrSize = 1024, ActionsSize = 1024, SigsetSize = 128;

    // glibc's sigfillset and sigaddset both refuse its two internal real-time signals (32, 33); posix_spawn
    // would then keep them ignored in the child if the host ignores them, so their bits are set directly.
    private static readonly int[] GlibcInternalSignals = [32, 33];

    /// <summary>
    /// Spawns and returns the pid and a pidfd (-1 on macOS, which has none, or when the child was already reaped by someone
    /// else before it could be opened, which only the fallback path allows), or throws the start exception matching the errno. The fallback
    /// cannot set a parent-death signal, and keeps a signal ignored only if this process ignores it too.
    /// A null <paramref name="environment"/> passes this process's C environment on as it is: only right for a host
    /// that never changes its environment from .NET, whose changes the C environment does not see (the CLI).
    /// </summary>
    public static int Spawn(Command command, string path, string? workingDirectory, EnvironmentBlock? environment, int stdin, int stdout, int stderr, in SpawnOptions options, out int pidfd)
    {
        if (environment is null && !SpawnShim.Available) environment = EnvironmentBlock.For(command);
        var kept = KeptDescriptors(command);
        var strings = new List<string>(command.ExecArguments.Count + 3) { path, workingDirectory ?? "", command.ExecProgram };
        strings.AddRange(command.ExecArguments);
        using var native = NativeStrings.Build(strings, out var pointers);
        var argc = command.ExecArguments.Count + 1;
        var argv = new byte*[argc + 1];
        Array.Copy(pointers, 2, argv, 0, argc);
        var envp = environment is null ? null : environment.Pointers;

        if (SpawnShim.Available)
        {
            int error;
            int pid;
            SpawnStep step;
            fixed (byte** argvPointer = argv)
                error = SpawnShim.Run(pointers[0], argvPointer, envp, command.WorkingDirectory is null ? null : pointers[1], stdin, stdout, stderr, kept, options, out pid, out pidfd, out step);
            // The block's arrays are pinned, not rooted: it must stay reachable until the child has exec'd.
            GC.KeepAlive(environment);
            if (error != 0) throw StartError(command, path, error, step);
            return pid;
        }

        var memory = (byte*)NativeMemory.AllocZeroed(AttrSize + ActionsSize + (2 * SigsetSize));
        var attr = memory;
        var actions = memory + AttrSize;
        var defaults = actions + ActionsSize;
        var mask = defaults + SigsetSize;
        try
        {
            Check(Libc.posix_spawnattr_init(attr));
            Check(Libc.posix_spawn_file_actions_init(actions));
            try
            {
                Libc.sigfillset(defaults);
                Libc.sigemptyset(mask);
                if (OperatingSystem.IsMacOS())
                {
                    // macOS's sigset_t is 32 bits, in its own signal numbering.
                    *(uint*)defaults &= ~NativeSignals.ToNativeMask(options.KeepIgnored);
                    *(uint*)mask = NativeSignals.ToNativeMask(options.SignalMask);
                }
                else
                {
                    foreach (var signal in GlibcInternalSignals) defaults[(signal - 1) / 8] |= (byte)(1 << ((signal - 1) % 8));
                    // glibc's sigset_t keeps signal n at bit n-1 from its first byte on, as SpawnOptions does.
                    *(ulong*)defaults &= ~options.KeepIgnored;
                    *(ulong*)mask = options.SignalMask;
                }
                Check(Libc.posix_spawnattr_setsigdefault(attr, defaults));
                Check(Libc.posix_spawnattr_setsigmask(attr, mask));
                var flags = Libc.POSIX_SPAWN_SETSIGDEF | Libc.POSIX_SPAWN_SETSIGMASK;
                // macOS has no closefrom action: it closes every descriptor that no file action names instead.
                if (OperatingSystem.IsMacOS()) flags |= Libc.POSIX_SPAWN_CLOEXEC_DEFAULT;
                if (options.NewProcessGroup != 0)
                {
                    Check(Libc.posix_spawnattr_setpgroup(attr, 0));
                    flags |= Libc.POSIX_SPAWN_SETPGROUP;
                }
                Check(Libc.posix_spawnattr_setflags(attr, (short)flags));
                AddRedirect(actions, stdin, 0);
                AddRedirect(actions, stdout, 1);
                AddRedirect(actions, stderr, 2);
                KeepOnly(actions, kept);
                if (command.WorkingDirectory is not null) Check(Libc.posix_spawn_file_actions_addchdir_np(actions, pointers[1]));

                int pid;
                int error;
                fixed (byte** argvPointer = argv)
                    error = Libc.posix_spawn(&pid, pointers[0], actions, attr, argvPointer, envp);
                GC.KeepAlive(environment);
                if (error != 0) throw StartError(command, path, error, GuessStep(command.WorkingDirectory is null ? null : pointers[1], error));
                if (OperatingSystem.IsMacOS())
                {
                    // No pidfds: the child is held by its pid, which stays reserved until it is reaped (see ChildProcess).
                    pidfd = -1;
                    return pid;
                }
                pidfd = Libc.PidfdOpen(pid);
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

    private static void AddRedirect(byte* actions, int fd, int target)
    {
        // -1 means "keep the host's descriptor" (inherit).
        if (fd >= 0) Check(Libc.posix_spawn_file_actions_adddup2(actions, fd, target));
        // Under POSIX_SPAWN_CLOEXEC_DEFAULT the host's own 0/1/2 must be named to be kept; naming one that is not open
        // would fail the spawn with EBADF, where Linux would just start the child without it.
        else if (OperatingSystem.IsMacOS() && Libc.fcntl(target, Libc.F_GETFD, 0) >= 0)
            Check(Libc.posix_spawn_file_actions_addinherit_np(actions, target));
    }

    private static int[] KeptDescriptors(Command command)
    {
        var kept = new int[command.InheritedDescriptors.Count];
        for (var i = 0; i < kept.Length; i++)
        {
            var descriptor = command.InheritedDescriptors[i];
            // Checked here for a clear error; the child checks again (fcntl fails for a descriptor closed in between).
            if (descriptor > int.MaxValue || Libc.fcntl((int)descriptor, Libc.F_GETFD, 0) < 0)
                throw new CommandStartException(command, $"Descriptor {descriptor} cannot be passed on: {Libc.ErrorText(Libc.EBADF)}");
            kept[i] = (int)descriptor;
        }
        return kept;
    }

    // Every descriptor from 3 up is closed in the child except those kept (ascending), which lose close-on-exec.
    private static void KeepOnly(byte* actions, int[] kept)
    {
        foreach (var fd in kept)
        {
            // macOS closes every descriptor that no file action names (POSIX_SPAWN_CLOEXEC_DEFAULT); glibc clears
            // close-on-exec for a dup2 onto the descriptor itself.
            Check(OperatingSystem.IsMacOS() ? Libc.posix_spawn_file_actions_addinherit_np(actions, fd) : Libc.posix_spawn_file_actions_adddup2(actions, fd, fd));
        }
        if (OperatingSystem.IsMacOS()) return;
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

    private static CommandStartException StartError(Command command, string path, int error, SpawnStep step) => step switch
    {
        SpawnStep.WorkingDirectory => new WorkingDirectoryException(command, command.WorkingDirectory!, error switch
        {
            Libc.ENOENT => "does not exist",
            Libc.ENOTDIR => "is not a directory",
            _ => $"cannot be entered: {Libc.ErrorText(error)}",
        }),
        SpawnStep.Exec => ExecError(command, path, error),
        SpawnStep.ChildSetup => new CommandStartException(command, $"The child could not be set up before exec: {Libc.ErrorText(error)}"),
        _ => new CommandStartException(command, $"The child process could not be created: {Libc.ErrorText(error)}"),
    };

    // The program's path is checked by exec itself (see ProgramResolver); what it refused is told apart only now.
    private static CommandStartException ExecError(Command command, string path, int error) => error switch
    {
        // The file is there: what exec did not find is the interpreter its #! line names (or the dynamic loader an
        // executable names). The shell says "bad interpreter"; execvp, and so GNU timeout, "No such file or directory".
        Libc.ENOENT when ProgramResolver.IsFile(path) => new ProgramNotFoundException(command, path, ScriptInterpreter.Read(path), Libc.ErrorText(error)),
        Libc.ENOENT or Libc.ENOTDIR => new ProgramNotFoundException(command, command.Program, []),
        Libc.EACCES when ProgramResolver.IsDirectory(path) => new ProgramNotExecutableException(command, path, "it is a directory"),
        Libc.EACCES => new ProgramNotExecutableException(command, path, "permission denied"),
        Libc.ENOEXEC => new ProgramNotExecutableException(command, path, "not an executable format") { IsExecFormatError = true },
        Libc.E2BIG => new CommandStartException(command, $"The arguments and environment are too long for exec: {Libc.ErrorText(error)}"),
        _ => new CommandStartException(command, $"exec of '{path}' failed: {Libc.ErrorText(error)}"),
    };

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
