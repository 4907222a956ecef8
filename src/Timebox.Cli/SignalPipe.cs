using System.Runtime.InteropServices;

namespace Timebox.Cli;

/// <summary>
/// Brings the signals timebox handles to its event loop as bytes (one per signal, its number) in a pipe. The native
/// binary installs plain handlers that write them (Native/host_signals.c), which costs microseconds; under the JIT
/// (`dotnet run`, the .NET tool), where that code is not linked in, PosixSignalRegistration callbacks write them instead. Either way the default
/// action (terminating timebox) is suppressed, and the signal is acted on by the loop, in order. The handlers stay until
/// the process exits: a signal that arrives after the run (the echo of timebox's own kill(0), a late forward) and found
/// no registration would get the runtime's default action and end timebox with it before it reports (exit 143 instead of
/// 124, in a good share of `dotnet run` timeouts: bench/NOTES.md). Dying of a signal on purpose resets its action first
/// (HostProcess.DieOf).
/// </summary>
internal sealed unsafe partial class SignalPipe
{
    // Static: a registration that the GC collects unregisters itself in its finalizer.
    private static readonly List<PosixSignalRegistration> Registrations = [];
    private readonly int _readFd, _writeFd;

    [LibraryImport("timebox_signals", EntryPoint = "timebox_forward_signals")]
    private static partial int ForwardSignals(int* signals, int count, int pipeFd);

    public SignalPipe(IReadOnlyList<int> signals)
    {
        (_readFd, _writeFd) = Descriptors.CreatePipe(nonBlocking: true);
        var numbers = signals.ToArray();
        if (NativeHost.IsLinked)
        {
            int error;
            fixed (int* first = numbers) error = ForwardSignals(first, numbers.Length, _writeFd);
            if (error != 0) throw new IOException($"cannot handle signals (sigaction): {Marshal.GetPInvokeErrorMessage(error)}", error);
            return;
        }
        foreach (var signal in numbers)
            Registrations.Add(PosixSignalRegistration.Create((PosixSignal)signal, Deliver));
    }

    /// <summary>The descriptor to watch; readable when signals have arrived.</summary>
    public int ReadFd => _readFd;

    /// <summary>The signals arrived since the last call, in order of arrival.</summary>
    public List<int> TakeArrived()
    {
        var arrived = new List<int>();
        Span<byte> buffer = stackalloc byte[64];
        while (Descriptors.Read(_readFd, buffer) is var count and > 0)
            foreach (var signal in buffer[..(int)count]) arrived.Add(signal);
        return arrived;
    }

    private void Deliver(PosixSignalContext context)
    {
        context.Cancel = true;
        Descriptors.WriteAll(_writeFd, [(byte)context.Signal]);
    }
}
