namespace Timebox.Platform.Unix;

/// <summary>
/// Timebox numbers signals as Linux does everywhere (see <see cref="Signals"/>), so that a number means the same signal
/// on every system; macOS numbers a dozen of them otherwise (SIGSTOP is 17 there, SIGCONT 19, SIGUSR1 30), so numbers
/// are translated where they cross into the kernel and back. On Linux both directions are the identity; the
/// macOS numbers are in NativeSignals.Darwin.cs.
/// </summary>
internal static partial class NativeSignals
{
    /// <summary>The system's number for a signal in Linux numbering; -1 (which kill rejects with EINVAL) where the system lacks it, real-time signals included.</summary>
    public static int ToNative(int signal) => OperatingSystem.IsMacOS() ? ToDarwin(signal) : signal;

    /// <summary>The Linux number of a signal the system reported.</summary>
    public static int ToLinux(int signal) => OperatingSystem.IsMacOS() ? FromDarwin(signal) : signal;
}
