namespace Timebox;

/// <summary>
/// CPU time and peak memory of a run, as the kernel reports them when the main process is reaped (Linux
/// <c>waitid</c> with <c>rusage</c>, what <c>wait4</c> and <c>/usr/bin/time</c> read): the main process itself plus
/// every descendant that was waited for by its own parent inside the tree (a shell's commands, a make's jobs).
/// Descendants that were orphaned (their parent exited first) are reaped by init or a subreaper and are not counted.
/// After a timeout or cancellation it covers what ran until the kill, the termination sequence included.
/// </summary>
public sealed class ResourceUsage
{
    internal ResourceUsage(TimeSpan userCpuTime, TimeSpan systemCpuTime, long peakResidentSetBytes, bool peakIsUpperBound)
    {
        UserCpuTime = userCpuTime;
        SystemCpuTime = systemCpuTime;
        PeakResidentSetBytes = peakResidentSetBytes;
        PeakResidentSetIsUpperBound = peakIsUpperBound;
    }

    /// <summary>CPU time spent in user mode.</summary>
    public TimeSpan UserCpuTime { get; }

    /// <summary>CPU time spent in the kernel on the program's behalf.</summary>
    public TimeSpan SystemCpuTime { get; }

    /// <summary><see cref="UserCpuTime"/> + <see cref="SystemCpuTime"/>.</summary>
    public TimeSpan TotalCpuTime => UserCpuTime + SystemCpuTime;

    /// <summary>
    /// The largest resident set size (ru_maxrss) of the main process or of any counted descendant, in bytes.
    /// See <see cref="PeakResidentSetIsUpperBound"/> for small programs.
    /// </summary>
    public long PeakResidentSetBytes { get; }

    /// <summary>
    /// True when <see cref="PeakResidentSetBytes"/> is not above the host's own peak resident set at the start, so
    /// the program's real peak may be smaller. Linux records, when a process calls exec, the peak of the memory it ran
    /// in until then; a child started with vfork (as Timebox and every posix_spawn start it, for speed) runs in its
    /// parent's memory until exec, so the host's peak is charged to it. A peak above the host's is the program's own.
    /// </summary>
    public bool PeakResidentSetIsUpperBound { get; }
}
