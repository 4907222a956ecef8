using System.Globalization;
using System.Runtime.InteropServices;

namespace Timebox.Cli;

/// <summary>
/// The signals this process's caller left ignored and blocked, which the command inherits as GNU timeout's does.
/// The native binary records them before the runtime starts (Native/inherited_signals.c). Run under the JIT
/// (`dotnet run`) only /proc/self/status is left, read after the runtime already set SIGPIPE to ignored: then
/// SIGPIPE is passed on as default, and the blocked set is read as it is now.
/// </summary>
internal readonly partial record struct InheritedSignals(ulong Ignored, ulong Blocked)
{
    [LibraryImport("timebox_signals", EntryPoint = "timebox_inherited_signals")]
    private static unsafe partial void ReadRecorded(ulong* ignored, ulong* blocked);

    public bool IsIgnored(int signal) => (Ignored & Bit(signal)) != 0;

    public static ulong Bit(int signal) => 1UL << (signal - 1);

    public static unsafe InheritedSignals Read()
    {
        if (NativeHost.IsLinked)
        {
            ulong ignored, blocked;
            ReadRecorded(&ignored, &blocked);
            return new(ignored, blocked);
        }
        // Not the native binary: read what is left to read.
        ulong readIgnored = 0, readBlocked = 0;
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("SigIgn:", StringComparison.Ordinal)) readIgnored = ParseMask(line);
            else if (line.StartsWith("SigBlk:", StringComparison.Ordinal)) readBlocked = ParseMask(line);
        }
        return new(readIgnored & ~Bit(Signals.Pipe), readBlocked);
    }

    private static ulong ParseMask(string line) => ulong.Parse(line.AsSpan(7).Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
}
