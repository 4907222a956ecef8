using Microsoft.Win32.SafeHandles;
using Timebox.Execution;

namespace Timebox.Platform.Unix;

/// <summary>
/// The descriptors a spawn needs (see <see cref="ChildStdio{THandle}"/>): for each standard stream the child's end (or -1
/// to inherit the host's) and, for pipes, the host's end. Disposing closes whatever was not handed on.
/// </summary>
internal sealed unsafe class RedirectionPlan : ChildStdio<int>, IDisposable
{
    public int StdinParent = -1, StdoutParent = -1, StderrParent = -1;
    private readonly List<SafeFileHandle> _files = [];
    private readonly List<int> _childPipeEnds = [];
    private readonly List<int> _capturedWriteEnds = [];

    public RedirectionPlan(Command command) => Open(command);

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

    public override void Dispose()
    {
        CloseChildEnds();
        foreach (var fd in new[] { StdinParent, StdoutParent, StderrParent })
            if (fd >= 0) Libc.close(fd);
        StdinParent = StdoutParent = StderrParent = -1;
    }

    // -1: the spawn leaves the host's descriptor in place.
    protected override int Inherit(StandardStream stream) => -1;

    protected override int OpenNull(StandardStream stream) => NullDevice.Fd;

    // Into an inherited stdout: the host's descriptor 1, which the child then has as its 2 too.
    protected override int MergedStderr(int stdout) => stdout >= 0 ? stdout : 1;

    protected override int OpenFile(string path, FileMode mode)
    {
        var handle = File.OpenHandle(path, mode, mode == FileMode.Open ? FileAccess.Read : FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        _files.Add(handle);
        return (int)handle.DangerousGetHandle();
    }

    protected override int Pipe(StandardStream stream, bool capturedOnly)
    {
        var fds = stackalloc int[2];
        if (Libc.CloexecPipe(fds) != 0) throw Libc.Failure("creating a pipe");
        var (read, write) = (fds[0], fds[1]);
        if (stream == StandardStream.Input)
        {
            StdinParent = write;
            _childPipeEnds.Add(read);
            return read;
        }
        if (stream == StandardStream.Output) StdoutParent = read;
        else StderrParent = read;
        _childPipeEnds.Add(write);
        if (capturedOnly) _capturedWriteEnds.Add(write);
        return write;
    }
}
