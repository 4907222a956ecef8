namespace Timebox.Platform.Unix;

internal static partial class NativeSignals
{
    // Index: Linux number; value: macOS number, or -1 where macOS has no such signal (SIGSTKFLT 16, SIGPWR 30).
    private static ReadOnlySpan<sbyte> LinuxToDarwin =>
        [0, 1, 2, 3, 4, 5, 6, 10, 8, 9, 30, 11, 31, 13, 14, 15, -1, 20, 19, 17, 18, 21, 22, 16, 24, 25, 26, 27, 28, 23, -1, 12];

    // Index: macOS number; value: Linux number. SIGEMT (7) and SIGINFO (29) have no Linux number and keep their own:
    // SIGINFO is ignored by default so it ends nothing, and SIGEMT only ever arrives from an explicit kill.
    private static ReadOnlySpan<sbyte> DarwinToLinux =>
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 7, 11, 31, 13, 14, 15, 23, 19, 20, 18, 17, 21, 22, 29, 24, 25, 26, 27, 28, 29, 10, 12];

    private static int ToDarwin(int signal) => (uint)signal < (uint)LinuxToDarwin.Length ? LinuxToDarwin[signal] : -1;

    private static int FromDarwin(int signal) => (uint)signal < (uint)DarwinToLinux.Length ? DarwinToLinux[signal] : signal;

    /// <summary>macOS: a set of signals (Linux signal n at bit n-1) as its 32-bit sigset_t; signals it lacks are left out.</summary>
    public static uint ToNativeMask(ulong linuxMask)
    {
        uint mask = 0;
        for (var signal = 1; signal < LinuxToDarwin.Length; signal++)
        {
            var native = ToDarwin(signal);
            if ((linuxMask & (1UL << (signal - 1))) != 0 && native > 0) mask |= 1U << (native - 1);
        }
        return mask;
    }
}
