namespace Timebox.Platform.Unix;

/// <summary>How the timebox CLI starts its command and whom its signals reach (see <see cref="HostedRun"/>).</summary>
/// <param name="HostGroup">The host's process group, which the command joins and which every signal reaches as a whole; null (--foreground) to signal the command alone.</param>
/// <param name="WholeTree">Every descendant is signaled and what is left is killed at the end (the host is their subreaper); false (--group-only) for the group alone, as GNU.</param>
/// <param name="ParentDeathSignal">Sent to the command if the host's loop thread ends before it (Linux PR_SET_PDEATHSIG); 0 for none.</param>
/// <param name="KeepIgnored">Signals (bit n-1 for signal n) the command starts with ignored, as the host's caller left them.</param>
/// <param name="SignalMask">Signals the command starts with blocked.</param>
/// <param name="OpenFilesLimit">The command's soft and hard RLIMIT_NOFILE when they differ from the host's (the host raised its own, see <see cref="HostedRun.CanSetCommandLimits"/>); null: the host's.</param>
internal readonly record struct HostedRunOptions(int? HostGroup, bool WholeTree, int ParentDeathSignal, ulong KeepIgnored, ulong SignalMask, (ulong Soft, ulong Hard)? OpenFilesLimit = null);
