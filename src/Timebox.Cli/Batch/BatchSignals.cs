using System.Runtime.InteropServices;

namespace Timebox.Cli;

/// <summary>
/// Ctrl-C (SIGINT), SIGTERM and SIGHUP during a batch: the first stops it gracefully, a second one forces. The
/// default action (ending timebox at once) is suppressed for both. Signals the caller left ignored stay ignored, as in
/// the main command (a background job of a script ignores INT). Registered only for `timebox batch`.
/// </summary>
internal sealed class BatchSignals : IDisposable
{
    private static readonly PosixSignal[] Handled = [PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGHUP];
    private const int SignalInt = 2, SignalTerm = 15, SignalHup = 1;

    private readonly List<PosixSignalRegistration> _registrations = [];
    private readonly Action<int> _first;
    private readonly Action<int> _again;
    private int _received;

    public BatchSignals(InheritedSignals inherited, Action<int> first, Action<int> again)
    {
        _first = first;
        _again = again;
        foreach (var signal in Handled)
        {
            if (inherited.IsIgnored(Number(signal))) continue;
            _registrations.Add(PosixSignalRegistration.Create(signal, OnSignal));
        }
    }

    /// <summary>The first signal received (its Linux number), or 0.</summary>
    public int First { get; private set; }

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        var number = Number(context.Signal);
        if (Interlocked.Increment(ref _received) == 1)
        {
            First = number;
            _first(number);
        }
        else
        {
            _again(number);
        }
    }

    private static int Number(PosixSignal signal) => signal switch
    {
        PosixSignal.SIGINT => SignalInt,
        PosixSignal.SIGTERM => SignalTerm,
        _ => SignalHup,
    };

    public void Dispose()
    {
        foreach (var registration in _registrations) registration.Dispose();
    }
}
