using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;

namespace Timebox.Platform.Windows;

/// <summary>A Job Object handle. Closing the last one kills every process of a job made with KILL_ON_JOB_CLOSE.</summary>
[SupportedOSPlatform("windows")]
internal sealed class SafeJobHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public SafeJobHandle()
        : base(ownsHandle: true)
    {
    }

    protected override bool ReleaseHandle() => Kernel32.CloseHandle(handle);
}
