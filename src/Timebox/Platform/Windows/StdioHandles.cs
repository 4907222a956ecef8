using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;
using Timebox.Execution;

namespace Timebox.Platform.Windows;

/// <summary>
/// The three handles the child gets (inheritable; null for none; see <see cref="ChildStdio{THandle}"/>) and the host's ends
/// of its pipes. A pipe is a named pipe whose host end is overlapped (read and written asynchronously, no thread per
/// stream) and whose child end is an ordinary blocking handle. Disposing closes whatever was not taken.
/// </summary>
[SupportedOSPlatform("windows")]
internal sealed unsafe class StdioHandles : ChildStdio<SafeFileHandle?>, IDisposable
{
    private const uint PipeBufferSize = 1 << 16;

    private readonly List<SafeFileHandle> _childHandles = [];

    public StdioHandles(Command command) => Open(command);

    /// <summary>The host's ends: the pipe the host writes the child's input to, and those it reads the output from.</summary>
    public (FileStream Stream, SafeFileHandle Handle)? StdinPipe, StdoutPipe, StderrPipe;

    /// <summary>Closes the child's handles in the host, once the child has its own copies.</summary>
    public void CloseChildHandles()
    {
        foreach (var handle in _childHandles) handle.Dispose();
        _childHandles.Clear();
    }

    public override void Dispose()
    {
        CloseChildHandles();
        StdinPipe?.Stream.Dispose();
        StdoutPipe?.Stream.Dispose();
        StderrPipe?.Stream.Dispose();
        StdinPipe = StdoutPipe = StderrPipe = null;
    }

    protected override SafeFileHandle? Inherit(StandardStream stream) => HostHandle(stream switch
    {
        StandardStream.Input => Kernel32.STD_INPUT_HANDLE,
        StandardStream.Output => Kernel32.STD_OUTPUT_HANDLE,
        _ => Kernel32.STD_ERROR_HANDLE,
    });

    protected override SafeFileHandle? OpenNull(StandardStream stream) =>
        Open("NUL", stream == StandardStream.Input ? Kernel32.GENERIC_READ : Kernel32.GENERIC_WRITE, Kernel32.OPEN_EXISTING);

    protected override SafeFileHandle? OpenFile(string path, FileMode mode) => mode switch
    {
        FileMode.Open => Open(path, Kernel32.GENERIC_READ, Kernel32.OPEN_EXISTING),
        // FILE_APPEND_DATA without FILE_WRITE_DATA: every write goes to the end, as O_APPEND.
        FileMode.Append => Open(path, Kernel32.FILE_APPEND_DATA | Kernel32.FILE_READ_ATTRIBUTES | Kernel32.SYNCHRONIZE, Kernel32.OPEN_ALWAYS),
        _ => Open(path, Kernel32.GENERIC_WRITE, Kernel32.CREATE_ALWAYS),
    };

    protected override SafeFileHandle? Pipe(StandardStream stream, bool capturedOnly)
    {
        (var host, var child) = CreatePipe(childReads: stream == StandardStream.Input);
        switch (stream)
        {
            case StandardStream.Input:
                StdinPipe = host;
                break;
            case StandardStream.Output:
                StdoutPipe = host;
                break;
            default:
                StderrPipe = host;
                break;
        }
        return child;
    }

    // An inheritable duplicate of the host's own standard handle; none when the host has none (a GUI or service host).
    private SafeFileHandle? HostHandle(int which)
    {
        var handle = Kernel32.GetStdHandle(which);
        if (handle == 0 || handle == -1) return null;
        nint duplicate;
        if (!Kernel32.DuplicateHandle(Kernel32.CurrentProcess, handle, Kernel32.CurrentProcess, &duplicate, 0, inherit: true, Kernel32.DUPLICATE_SAME_ACCESS))
            return null;
        return Keep(new SafeFileHandle(duplicate, ownsHandle: true));
    }

    private SafeFileHandle Open(string path, uint access, uint disposition)
    {
        var inherit = Inheritable();
        SafeFileHandle handle;
        fixed (char* name = path)
        {
            handle = Kernel32.CreateFileW(name, access, Kernel32.FILE_SHARE_READ | Kernel32.FILE_SHARE_WRITE | Kernel32.FILE_SHARE_DELETE,
                &inherit, disposition, Kernel32.FILE_ATTRIBUTE_NORMAL, 0);
        }
        if (handle.IsInvalid) throw Kernel32.LastError($"Opening '{path}'");
        return Keep(handle);
    }

    private ((FileStream, SafeFileHandle) Host, SafeFileHandle Child) CreatePipe(bool childReads)
    {
        var name = $@"\\.\pipe\timebox-{Environment.ProcessId}-{Guid.NewGuid():N}";
        SafeFileHandle host;
        fixed (char* pipeName = name)
        {
            // One instance, created first: nobody else can create or connect to it before the child end below does.
            host = Kernel32.CreateNamedPipeW(pipeName,
                (childReads ? Kernel32.PIPE_ACCESS_OUTBOUND : Kernel32.PIPE_ACCESS_INBOUND) | Kernel32.FILE_FLAG_OVERLAPPED | Kernel32.FILE_FLAG_FIRST_PIPE_INSTANCE,
                Kernel32.PIPE_REJECT_REMOTE_CLIENTS, 1, PipeBufferSize, PipeBufferSize, 0, null);
            if (host.IsInvalid) throw Kernel32.LastError("CreateNamedPipe");
            var inherit = Inheritable();
            var child = Kernel32.CreateFileW(pipeName,
                childReads ? Kernel32.GENERIC_READ | Kernel32.FILE_WRITE_ATTRIBUTES : Kernel32.GENERIC_WRITE | Kernel32.FILE_READ_ATTRIBUTES,
                0, &inherit, Kernel32.OPEN_EXISTING, Kernel32.FILE_ATTRIBUTE_NORMAL, 0);
            if (child.IsInvalid)
            {
                var error = Kernel32.LastError("Opening the child's end of a pipe");
                host.Dispose();
                throw error;
            }
            Keep(child);
            try
            {
                // Connected: the child end opened it. The host end is used without buffering, asynchronously (overlapped).
                return ((new FileStream(host, childReads ? FileAccess.Write : FileAccess.Read, bufferSize: 0, isAsync: true), host), child);
            }
            catch
            {
                host.Dispose();
                throw;
            }
        }
    }

    private SafeFileHandle Keep(SafeFileHandle handle)
    {
        _childHandles.Add(handle);
        return handle;
    }

    private static SecurityAttributes Inheritable() => new() { Length = sizeof(SecurityAttributes), InheritHandle = 1 };
}
