using System.Runtime.InteropServices;

namespace Timebox.Platform.Unix;

// The process list of macOS, which has no /proc: one struct kinfo_proc per process from
// sysctl(CTL_KERN, KERN_PROC, KERN_PROC_ALL), read for its pid, parent, process group, state and start time.
internal sealed unsafe partial class ProcessTable
{
    private const int CTL_KERN = 1, KERN_PROC = 14, KERN_PROC_ALL = 0, KERN_PROC_PID = 1;

    // struct kinfo_proc (sys/sysctl.h) as 64-bit macOS lays it out, on arm64 and x86-64 alike: a struct extern_proc of
    // 296 bytes, then a struct eproc. A kernel with another layout is caught by the size of what it returns.
    private const int KinfoProcSize = 648;
    private const int StartSecondsOffset = 0, StartMicrosecondsOffset = 8; // kp_proc.p_starttime (struct timeval)
    private const int StateOffset = 36, PidOffset = 40;                    // kp_proc.p_stat, kp_proc.p_pid
    private const int ParentOffset = 560, GroupOffset = 564;               // kp_eproc.e_ppid, kp_eproc.e_pgid
    private const byte ZombieState = 5;                                     // SZOMB

    // Processes started between sizing the buffer and filling it; past that the kernel says ENOMEM and we size again.
    private const int Headroom = 64;

    private static ProcessTable ReadDarwin()
    {
        var name = stackalloc int[] { CTL_KERN, KERN_PROC, KERN_PROC_ALL };
        while (true)
        {
            nuint size = 0;
            if (Libc.sysctl(name, 3, null, &size, null, 0) != 0)
                throw Libc.Failure("sysctl(KERN_PROC_ALL)");
            size += Headroom * KinfoProcSize;
            var buffer = (byte*)NativeMemory.Alloc(size);
            try
            {
                if (Libc.sysctl(name, 3, buffer, &size, null, 0) == 0) return new ProcessTable(Parse(buffer, size));
                if (Libc.Errno != Libc.ENOMEM) throw Libc.Failure("sysctl(KERN_PROC_ALL)");
            }
            finally
            {
                NativeMemory.Free(buffer);
            }
        }
    }

    /// <summary>macOS: the start time of <paramref name="pid"/> now, as <see cref="Entry.StartTime"/> gives it, or -1 when no such process exists.</summary>
    public static long ReadStartTime(int pid)
    {
        var name = stackalloc int[] { CTL_KERN, KERN_PROC, KERN_PROC_PID, pid };
        var proc = stackalloc byte[KinfoProcSize];
        nuint size = KinfoProcSize;
        // A pid that is not in use gives success with nothing written.
        if (Libc.sysctl(name, 4, proc, &size, null, 0) != 0 || size != KinfoProcSize) return -1;
        return StartTime(proc);
    }

    private static Dictionary<int, Entry> Parse(byte* buffer, nuint size)
    {
        if (size % KinfoProcSize != 0)
            throw new InvalidOperationException($"sysctl(KERN_PROC_ALL) returned {size} bytes, not a multiple of struct kinfo_proc ({KinfoProcSize})");
        var count = (int)(size / KinfoProcSize);
        var entries = new Dictionary<int, Entry>(count);
        for (var i = 0; i < count; i++)
        {
            var proc = buffer + (i * KinfoProcSize);
            entries[*(int*)(proc + PidOffset)] =
                new(*(int*)(proc + ParentOffset), *(int*)(proc + GroupOffset), proc[StateOffset] == ZombieState, StartTime(proc));
        }
        return entries;
    }

    private static long StartTime(byte* proc) =>
        (*(long*)(proc + StartSecondsOffset) * 1_000_000) + *(int*)(proc + StartMicrosecondsOffset);
}
