namespace Timebox.Platform.Unix;

/// <summary>
/// Timebox numbers signals as Linux does everywhere (see <see cref="Signals"/>), so that a number means the same signal
/// on every system; macOS numbers a dozen of them otherwise (SIGSTOP is 17 there, SIGCONT 19, SIGUSR1 30), so numbers
/// are translated where they cross into the kernel and back. On Linux both directions are the identity.
/// </summary>
internal static class NativeSignals
{
    // Index: Linux number; value: macOS number, or -1 where macOS has no such signal (SIGSTKFLT 16, SIGPWR 30).
    private static ReadOnlySpan<sbyte> LinuxToDarwin =>
        [0, 1, 2, 3, 4, 5, 6, 10, 8, 9, 30, 11, 31, 13, 14, 15, -1, 20, 19, 17, 18, 21, 22, 16, 24, 25, 26, 27, 28, 23, -1, 12];

    // Index: macOS number; value: Linux number. SIGEMT (7) and SIGINFO (29) have no Linux number and keep their own:
    // SIGINFO is ignored by default so it ends nothing, and SIGEMT only ever arrives from an explicit kill.
    private static ReadOnlySpan<sbyte> DarwinToLinux =>
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 7, 11, 31, 13, 14, 15, 23, 19, 20, 18, 17, 21, 22, 29, 24, 25, 26, 27, 28, 29, 10, 12];

    /// <summary>The system's number for a signal in Linux numbering; -1 (which kill rejects with EINVAL) where the system lacks it, real-time signals included.</summary>
    public static int ToNative(int signal)
    {
        if (!OperatingSystem.IsMacOS()) return signal;
        return (uint)signal < (uint)LinuxToDarwin.Length ? LinuxToDarwin[signal] : -1;
    }

    /// <summary>The Linux number of a signal the system reported.</summary>
    public static int ToLinux(int signal)
    {
        if (!OperatingSystem.IsMacOS()) return signal;
        return (uint)signal < (uint)DarwinToLinux.Length ? DarwinToLinux[signal] : signal;
    }

    /// <summary>A set of signals (Linux signal n at bit n-1) as the system's 32-bit sigset_t; signals it lacks are left out.</summary>
    public static uint ToNativeMask(ulong linuxMask)
    {
        uint mask = 0;
        for (var signal = 1; signal < LinuxToDarwin.Length; signal++)
        {
            var native = ToNative(signal);
            if ((linuxMask & (1UL << (signal - 1))) != 0 && native > 0) mask |= 1U << (native - 1);
        }
        return mask;
    }
}
