using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;

namespace Timebox.Platform.Windows;

/// <summary>
/// The Job Object that holds one run: the main process is assigned to it before its first instruction, and every process
/// it starts is in it too (Windows puts children in their parent's job), whatever process group or console they move to.
/// <see cref="Terminate"/> kills them all at once; <c>KILL_ON_JOB_CLOSE</c> kills them if the host dies; the run's
/// <see cref="ResourceLimits"/> that a job can express are job limits; its accounting gives <see cref="ResourceUsage"/>.
/// </summary>
[SupportedOSPlatform("windows")]
internal sealed unsafe class JobObject : IDisposable
{
    /// <summary>The exit code TerminateJobObject gives every process it kills (what <see cref="RunResult.ExitCode"/> then reports).</summary>
    public const uint KilledExitCode = 1;

    private readonly SafeJobHandle _handle;
    private JobExtendedLimits _limits;

    private JobObject(SafeJobHandle handle, JobExtendedLimits limits)
    {
        _handle = handle;
        _limits = limits;
    }

    /// <summary>Refuses, before anything is created, the limits a job cannot express.</summary>
    /// <exception cref="UnsupportedOptionException">MaxOpenFiles or MaxFileSizeBytes.</exception>
    public static void CheckLimits(Command command)
    {
        if (command.Limits?.MaxOpenFiles is not null)
            throw new UnsupportedOptionException(command, nameof(ResourceLimits.MaxOpenFiles), "Windows has no per-process limit on open handles that a job object can set");
        if (command.Limits?.MaxFileSizeBytes is not null)
            throw new UnsupportedOptionException(command, nameof(ResourceLimits.MaxFileSizeBytes), "Windows has no file size limit that a job object can set");
    }

    public static JobObject Create(Command command)
    {
        var handle = Kernel32.CreateJobObjectW(null, null);
        if (handle.IsInvalid) throw new CommandStartException(command, "CreateJobObject failed", Kernel32.LastError("CreateJobObject"));
        var limits = default(JobExtendedLimits);
        limits.Basic.LimitFlags = Kernel32.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
        if (command.Limits is { } requested)
        {
            if (requested.MaxCpuTime is { } cpu)
            {
                limits.Basic.LimitFlags |= Kernel32.JOB_OBJECT_LIMIT_PROCESS_TIME;
                limits.Basic.PerProcessUserTimeLimit = cpu.Ticks; // 100 ns units, as TimeSpan ticks
            }
            if (requested.MaxAddressSpaceBytes is { } memory)
            {
                limits.Basic.LimitFlags |= Kernel32.JOB_OBJECT_LIMIT_PROCESS_MEMORY;
                limits.ProcessMemoryLimit = (nuint)Math.Min((ulong)memory, (ulong)nuint.MaxValue);
            }
            if (requested.MaxProcesses is { } processes)
            {
                limits.Basic.LimitFlags |= Kernel32.JOB_OBJECT_LIMIT_ACTIVE_PROCESS;
                limits.Basic.ActiveProcessLimit = (uint)processes;
            }
            if (requested.DisableCoreDumps) limits.Basic.LimitFlags |= Kernel32.JOB_OBJECT_LIMIT_DIE_ON_UNHANDLED_EXCEPTION;
        }
        var job = new JobObject(handle, limits);
        if (!job.SetLimits())
        {
            var error = Kernel32.LastError("SetInformationJobObject");
            job.Dispose();
            throw new CommandStartException(command, "The job object's limits could not be set", error);
        }
        return job;
    }

    public bool Assign(SafeWaitHandle process) => Kernel32.AssignProcessToJobObject(_handle, process);

    /// <summary>Kills every process of the job. Returns true if any was still running.</summary>
    public bool Terminate()
    {
        var running = Accounting().ActiveProcesses > 0;
        Kernel32.TerminateJobObject(_handle, KilledExitCode);
        return running;
    }

    /// <summary>CPU time of every process that ran in the job (orphans included), and the largest commit of any one of them.</summary>
    public ResourceUsage? Usage()
    {
        JobExtendedLimits extended;
        uint length;
        if (!Kernel32.QueryInformationJobObject(_handle, Kernel32.JobObjectExtendedLimitInformation, &extended, (uint)sizeof(JobExtendedLimits), &length))
            return null;
        var accounting = Accounting();
        return new ResourceUsage(TimeSpan.FromTicks(accounting.TotalUserTime), TimeSpan.FromTicks(accounting.TotalKernelTime),
            (long)extended.PeakProcessMemoryUsed, peakIsUpperBound: false);
    }

    /// <summary>
    /// The run ended and left processes that hold none of its pipes (as background jobs of a shell): they keep running, as on
    /// Linux, instead of dying when the job handle closes.
    /// </summary>
    public void ReleaseSurvivors()
    {
        if (Accounting().ActiveProcesses == 0) return;
        _limits.Basic.LimitFlags &= ~Kernel32.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
        SetLimits();
    }

    public void Dispose() => _handle.Dispose();

    private bool SetLimits()
    {
        fixed (JobExtendedLimits* limits = &_limits)
            return Kernel32.SetInformationJobObject(_handle, Kernel32.JobObjectExtendedLimitInformation, limits, (uint)sizeof(JobExtendedLimits));
    }

    private JobBasicAccounting Accounting()
    {
        JobBasicAccounting accounting;
        uint length;
        return Kernel32.QueryInformationJobObject(_handle, Kernel32.JobObjectBasicAccountingInformation, &accounting, (uint)sizeof(JobBasicAccounting), &length)
            ? accounting
            : default;
    }
}
