using System.Runtime.InteropServices;
using Timebox.Platform.Unix;

namespace Timebox.Cli;

/// <summary>
/// Brings the signals timebox handles to its event loop as bytes (one per signal, its number) in a pipe. The native
/// binary installs plain handlers that write them (Native/host_signals.c), which costs microseconds; under the JIT
/// (`dotnet run`, the .NET tool), where that code is not linked in, PosixSignalRegistration callbacks write them instead. Either way the default
/// action (terminating timebox) is suppressed, and the signal is acted on by the loop, in order.
/// </summary>
internal sealed unsafe partial class SignalPipe : IDisposable
{
    private readonly int _readFd, _writeFd;
    private readonly List<PosixSignalRegistration> _registrations = [];

    [LibraryImport("timebox_signals", EntryPoint = "timebox_forward_signals")]
    private static partial int ForwardSignals(int* signals, int count, int pipeFd);

    public SignalPipe(IReadOnlyList<int> signals)
    {
        var fds = stackalloc int[2];
        if (Libc.pipe2(fds, Libc.O_CLOEXEC | Libc.O_NONBLOCK) != 0) throw SystemError.Of("cannot create the signal pipe");
        _readFd = fds[0];
        _writeFd = fds[1];
        var numbers = signals.ToArray();
        if (NativeHost.IsLinked)
        {
            int error;
            fixed (int* first = numbers) error = ForwardSignals(first, numbers.Length, _writeFd);
            if (error != 0) throw new IOException($"sigaction failed with errno {error}");
            return;
        }
        foreach (var signal in numbers)
            _registrations.Add(PosixSignalRegistration.Create((PosixSignal)signal, Deliver));
    }

    /// <summary>The descriptor to watch; readable when signals have arrived.</summary>
    public int ReadFd => _readFd;

    /// <summary>The signals arrived since the last call, in order of arrival.</summary>
    public List<int> TakeArrived()
    {
        var arrived = new List<int>();
        var buffer = stackalloc byte[64];
        nint count;
        while ((count = Libc.read(_readFd, buffer, 64)) > 0)
            for (var i = 0; i < count; i++) arrived.Add(buffer[i]);
        return arrived;
    }

    private void Deliver(PosixSignalContext context)
    {
        context.Cancel = true;
        var number = (byte)context.Signal;
        Libc.write(_writeFd, &number, 1);
    }

    /// <summary>
    /// Ends the managed registrations. The pipe stays open: a native handler may still write to it until the process
    /// exits, and must never write into a descriptor that was closed and reused.
    /// </summary>
    public void Dispose()
    {
        foreach (var registration in _registrations) registration.Dispose();
    }
}
