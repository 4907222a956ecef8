using Microsoft.Win32.SafeHandles;

namespace Timebox.Platform.Unix;

/// <summary>
/// The descriptors a spawn needs: for each standard stream the child's end (or -1 to inherit the host's) and,
/// for pipes, the host's end. Opening files here, before the spawn, gives each unusable redirection its own
/// exception while nothing runs yet. Disposing closes whatever was not handed on.
/// </summary>
internal sealed unsafe class RedirectionPlan : IDisposable
{
    public int ChildStdin = -1, ChildStdout = -1, ChildStderr = -1;
    public int StdinParent = -1, StdoutParent = -1, StderrParent = -1;
    private readonly List<SafeFileHandle> _files = [];
    private readonly List<int> _childPipeEnds = [];
    private readonly List<int> _capturedWriteEnds = [];

    public RedirectionPlan(Command command)
    {
        try
        {
            PlanStdin(command);
            ChildStdout = PlanOutput(command, command.Stdout, out StdoutParent);
            if (command.StderrMerged) ChildStderr = ChildStdout >= 0 ? ChildStdout : 1;
            else ChildStderr = PlanOutput(command, command.Stderr, out StderrParent);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Takes the host's read end of a stream the event loop reads, made non-blocking; -1 when the stream has no pipe.</summary>
    public static int TakeReadEnd(ref int parentFd)
    {
        var fd = parentFd;
        if (fd < 0) return -1;
        // F_SETFL changes only the status flags (O_NONBLOCK, O_APPEND, ...), none of which a fresh pipe end has set.
        Libc.fcntl(fd, Libc.F_SETFL, Libc.O_NONBLOCK);
        parentFd = -1;
        return fd;
    }

    /// <summary>
    /// Takes the child's write ends of the pipes that are only captured, which <see cref="CloseChildEnds"/> then leaves
    /// open: the run closes them once the leader's exit is read (see <see cref="UnixRun"/>).
    /// </summary>
    public int[] TakeCapturedWriteEnds()
    {
        var ends = _capturedWriteEnds.ToArray();
        _childPipeEnds.RemoveAll(_capturedWriteEnds.Contains);
        _capturedWriteEnds.Clear();
        return ends;
    }

    /// <summary>Closes the child's ends in the host once the child has its own copies.</summary>
    public void CloseChildEnds()
    {
        foreach (var fd in _childPipeEnds) Libc.close(fd);
        _childPipeEnds.Clear();
        foreach (var file in _files) file.Dispose();
        _files.Clear();
    }

    public void Dispose()
    {
        CloseChildEnds();
        foreach (var fd in new[] { StdinParent, StdoutParent, StderrParent })
            if (fd >= 0) Libc.close(fd);
        StdinParent = StdoutParent = StderrParent = -1;
    }

    private void PlanStdin(Command command)
    {
        var source = command.Stdin;
        switch (source.Kind)
        {
            case StdinSource.SourceKind.Inherit:
                return;
            case StdinSource.SourceKind.Empty:
                ChildStdin = NullDevice.Fd;
                return;
            case StdinSource.SourceKind.File:
                try
                {
                    ChildStdin = OpenFile(source.FilePath!, FileMode.Open, FileAccess.Read);
                }
                catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
                {
                    throw new StdinSourceException(command, source.FilePath!, exception);
                }
                return;
            default:
                (ChildStdin, StdinParent) = Pipe();
                _childPipeEnds.Add(ChildStdin);
                return;
        }
    }

    private int PlanOutput(Command command, OutputTarget target, out int parent)
    {
        parent = -1;
        switch (target.Kind)
        {
            case OutputTarget.TargetKind.Inherit:
                return -1;
            case OutputTarget.TargetKind.Discard:
                return NullDevice.Fd;
            case OutputTarget.TargetKind.File:
                try
                {
                    return OpenFile(target.FilePath!, target.Append ? FileMode.Append : FileMode.Create, FileAccess.Write);
                }
                catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
                {
                    throw new OutputTargetException(command, target.FilePath!, exception);
                }
            default:
                (var read, var write) = Pipe();
                parent = read;
                _childPipeEnds.Add(write);
                if (target.Kind == OutputTarget.TargetKind.Capture) _capturedWriteEnds.Add(write);
                return write;
        }
    }

    private int OpenFile(string path, FileMode mode, FileAccess access)
    {
        var handle = File.OpenHandle(path, mode, access, FileShare.ReadWrite | FileShare.Delete);
        _files.Add(handle);
        return (int)handle.DangerousGetHandle();
    }

    private (int Read, int Write) Pipe()
    {
        var fds = stackalloc int[2];
        if (Libc.CloexecPipe(fds) != 0) throw Libc.Failure("creating a pipe");
        return (fds[0], fds[1]);
    }
}
