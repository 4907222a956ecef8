using System.Runtime.InteropServices;

namespace Timebox.Platform.Unix;

/// <summary>
/// How the child starts, beyond its program and descriptors; laid out as struct spawn_options in
/// Native/timebox_spawn.c. Signal n is bit n-1 of the masks.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly struct SpawnOptions
{
    /// <summary>The library's runs: a new process group, every signal default and unblocked, no parent-death signal.</summary>
    public static readonly SpawnOptions Default = new(newProcessGroup: true, parentDeathSignal: 0, keepIgnored: 0, signalMask: 0);

    public SpawnOptions(bool newProcessGroup, int parentDeathSignal, ulong keepIgnored, ulong signalMask)
    {
        NewProcessGroup = newProcessGroup ? 1 : 0;
        ParentDeathSignal = parentDeathSignal;
        KeepIgnored = keepIgnored;
        SignalMask = signalMask;
    }

    public int NewProcessGroup { get; }

    /// <summary>Sent to the child when the thread that spawned it ends (Linux PR_SET_PDEATHSIG); 0 for none. Needs the native shim.</summary>
    public int ParentDeathSignal { get; }

    public ulong KeepIgnored { get; }

    public ulong SignalMask { get; }
}
