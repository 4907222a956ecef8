using System.Runtime.InteropServices;

namespace Timebox.Platform.Unix;

/// <summary>struct pollfd: a descriptor to watch, the events asked for and those that happened.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct PollFd
{
    public int Fd;
    public short Events;
    public short ReturnedEvents;
}
