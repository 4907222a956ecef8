namespace Timebox;

/// <summary>Why a run ended.</summary>
public enum Outcome
{
    /// <summary>The program exited by itself with an exit code.</summary>
    Exited,

    /// <summary>The program was ended by a signal that Timebox did not send (for example it crashed or killed itself).</summary>
    Signaled,

    /// <summary>The deadline passed; Timebox ran the termination sequence on the whole process tree.</summary>
    TimedOut,

    /// <summary>The caller canceled (token, <see cref="RunningProcess.Kill"/> or disposal); the termination sequence ran on the whole process tree.</summary>
    Canceled,

    /// <summary>
    /// Neither output stream produced anything (or, with a progress predicate, nothing that counts as progress) for the
    /// idle timeout (<see cref="Command.WithIdleTimeout"/>); the termination sequence ran on the whole process tree.
    /// </summary>
    IdleTimedOut,

    /// <summary>
    /// A stream captured with <see cref="OutputTarget.CaptureWithLimit"/> and <see cref="OutputLimitAction.Terminate"/>
    /// exceeded its limit; the termination sequence ran on the whole process tree.
    /// </summary>
    OutputLimitExceeded,

    /// <summary>
    /// The main process used up its CPU time limit (<see cref="ResourceLimits.MaxCpuTime"/>): it died of SIGXCPU, or of
    /// the kernel's SIGKILL one second later if it caught or ignored that. Never reported after a timeout or a cancellation.
    /// </summary>
    CpuLimitExceeded,

    /// <summary>
    /// The main process died of SIGXFSZ: it wrote past its file size limit (<see cref="ResourceLimits.MaxFileSizeBytes"/>,
    /// or one the host passed on). Never reported after a timeout or a cancellation.
    /// </summary>
    FileSizeLimitExceeded,

    /// <summary>
    /// The run has a memory limit (<see cref="ResourceLimits.MaxMemoryBytes"/>) and the kernel's OOM killer killed a process
    /// of it (SIGKILL), as its memory cgroup counts: at the limit, or, rarely, because the whole system ran out of memory,
    /// which the kernel counts the same way. The process killed is the main one, whose <see cref="RunResult.Signal"/> is then
    /// 9, or a descendant, in which case the main process may even have exited with code 0. Never reported after a timeout
    /// or a cancellation.
    /// </summary>
    MemoryLimitExceeded,

    /// <summary>
    /// Timebox could not keep or deliver the output while the program ran (a spill file on a full, read-only or failing file
    /// system; a stream, file or callback target that failed) and killed the whole process tree with SIGKILL at once.
    /// Only seen in <see cref="CommandOutputException.Result"/>: such a run ends with that exception.
    /// </summary>
    OutputFailed,
}
