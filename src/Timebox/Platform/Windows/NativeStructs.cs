using System.Runtime.InteropServices;

namespace Timebox.Platform.Windows;

// The Win32 structures, laid out as in the Windows headers (sequential, natural alignment: right on x86, x64 and arm64).

[StructLayout(LayoutKind.Sequential)]
internal struct SecurityAttributes
{
    public int Length;
    public nint SecurityDescriptor;
    public int InheritHandle;
}

[StructLayout(LayoutKind.Sequential)]
internal struct StartupInfoEx
{
    // STARTUPINFOW
    public int Cb;
    public nint Reserved, Desktop, Title;
    public int X, Y, XSize, YSize, XCountChars, YCountChars, FillAttribute, Flags;
    public short ShowWindow, Reserved2Size;
    public nint Reserved2, StdInput, StdOutput, StdError;

    // STARTUPINFOEXW
    public nint AttributeList;
}

[StructLayout(LayoutKind.Sequential)]
internal struct ProcessInformation
{
    public nint Process, Thread;
    public int ProcessId, ThreadId;
}

[StructLayout(LayoutKind.Sequential)]
internal struct JobBasicLimits
{
    public long PerProcessUserTimeLimit, PerJobUserTimeLimit;
    public uint LimitFlags;
    public nuint MinimumWorkingSetSize, MaximumWorkingSetSize;
    public uint ActiveProcessLimit;
    public nuint Affinity;
    public uint PriorityClass, SchedulingClass;
}

[StructLayout(LayoutKind.Sequential)]
internal struct JobExtendedLimits
{
    public JobBasicLimits Basic;
    public ulong ReadOperationCount, WriteOperationCount, OtherOperationCount, ReadTransferCount, WriteTransferCount, OtherTransferCount;
    public nuint ProcessMemoryLimit, JobMemoryLimit, PeakProcessMemoryUsed, PeakJobMemoryUsed;
}

[StructLayout(LayoutKind.Sequential)]
internal struct JobBasicAccounting
{
    public long TotalUserTime, TotalKernelTime, ThisPeriodTotalUserTime, ThisPeriodTotalKernelTime;
    public uint TotalPageFaultCount, TotalProcesses, ActiveProcesses, TotalTerminatedProcesses;
}
