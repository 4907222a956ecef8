namespace Timebox.Platform.Unix;

/// <summary>
/// Starts a program through the native shim, or posix_spawn where the shim is missing and always on macOS (vfork speed,
/// exec errors returned as codes): as <see cref="SpawnOptions"/> say (by default in its own process group, every signal
/// disposition back to default, SIGPIPE above all, and an empty signal mask), the given descriptors as 0/1/2, the
/// command's <see cref="Command.InheritedDescriptors"/> at their own numbers, and every other descriptor closed.
/// </summary>
internal static unsafe partial class PosixSpawner
{
    /// <summary>
    /// Spawns and returns the pid and a pidfd (-1 on macOS, which has none, or when the child was already reaped by someone
    /// else before it could be opened, which only the posix_spawn path allows), or throws the start exception matching the
    /// errno. The posix_spawn path cannot set a parent-death signal, and keeps a signal ignored only if this process
    /// ignores it too.
    /// </summary>
    public static int Spawn(in SpawnRequest request, out int pidfd)
    {
        var command = request.Command;
        var kept = KeptDescriptors(command);
        var strings = new List<string>(command.ExecArguments.Count + 3) { request.Path, request.WorkingDirectory ?? "", command.ExecProgram };
        strings.AddRange(command.ExecArguments);
        using var native = NativeStrings.Build(strings, out var pointers);
        var argc = command.ExecArguments.Count + 1;
        var argv = new byte*[argc + 1];
        Array.Copy(pointers, 2, argv, 0, argc);
        var workingDirectory = request.WorkingDirectory is null ? null : pointers[1];
        fixed (byte** argvPointer = argv)
        {
            return SpawnShim.Available
                ? SpawnThroughShim(request, pointers[0], argvPointer, workingDirectory, kept, out pidfd)
                : SpawnThroughPosixSpawn(request, pointers[0], argvPointer, workingDirectory, kept, out pidfd);
        }
    }

    private static int SpawnThroughShim(in SpawnRequest request, byte* path, byte** argv, byte* workingDirectory, int[] kept, out int pidfd)
    {
        var error = SpawnShim.Run(request, path, argv, workingDirectory, kept, out var pid, out pidfd, out var step);
        // The block's arrays are pinned, not rooted: it must stay reachable until the child has exec'd.
        GC.KeepAlive(request.Environment);
        if (error != 0) throw StartError(request, error, step);
        return pid;
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

    private static CommandStartException StartError(in SpawnRequest request, int error, SpawnStep step) => step switch
    {
        SpawnStep.WorkingDirectory => new WorkingDirectoryException(request.Command, request.Command.WorkingDirectory!, error switch
        {
            Libc.ENOENT => "does not exist",
            Libc.ENOTDIR => "is not a directory",
            _ => $"cannot be entered: {Libc.ErrorText(error)}",
        }),
        SpawnStep.Exec => ExecError(request.Command, request.Path, error),
        SpawnStep.ChildSetup => new CommandStartException(request.Command, $"The child could not be set up before exec: {Libc.ErrorText(error)}"),
        _ => new CommandStartException(request.Command, $"The child process could not be created: {Libc.ErrorText(error)}"),
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
}
