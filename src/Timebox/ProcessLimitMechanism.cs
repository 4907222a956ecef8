namespace Timebox;

/// <summary>How <see cref="ResourceLimits.MaxProcesses"/> is enforced on this host (see <see cref="ResourceLimits.ProcessLimitMechanism"/>).</summary>
public enum ProcessLimitMechanism
{
    /// <summary>Nothing can enforce it here (root without a usable pids cgroup, or macOS): a command with the limit does not start.</summary>
    None,

    /// <summary>
    /// RLIMIT_NPROC, set in the child before exec: counts every process and thread of the user id, not only the run's,
    /// so a limit below what that user already runs stops the first fork. Nothing is left behind after the run.
    /// </summary>
    UserRlimit,

    /// <summary>
    /// A pids cgroup made for the run (pids.max), joined by the child before exec: counts the run's tasks (processes and
    /// threads) only, and holds for root too. When the run ends, whatever is still in the cgroup is killed with SIGKILL
    /// (also after a normal exit: a background process left by the program does not outlive a run with this limit), and
    /// the cgroup is removed.
    /// </summary>
    PidsCgroup,

    /// <summary>
    /// Windows: the run's Job Object (active process limit). Counts the run's processes only (not threads), every process of
    /// the job together; a process creation past it fails. Not verified on a Windows machine (see the README).
    /// </summary>
    JobObject,
}
