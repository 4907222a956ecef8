namespace Timebox.Platform.Unix;

internal readonly partial struct HeldProcess
{
    private static bool TryHoldDarwin(int pid, ProcessTable table, out HeldProcess held)
    {
        held = new(pid, -1, table.StartTimeOf(pid));
        return true;
    }

    // The check leaves a window of a few microseconds between the comparison and kill(), in which the process would have
    // to exit, be reaped and its pid be given out again; macOS hands out pids in increasing order, so only after wrapping
    // around its whole pid space.
    private bool SignalDarwin(int signal) => ProcessTable.ReadStartTime(_pid) == _startTime && Libc.kill(_pid, signal) == 0;
}
