namespace Timebox;

/// <summary>
/// The command asks for something this host cannot enforce (resource limits or kill-on-parent-exit without the native
/// spawn shim, a process limit when running as root with no usable pids cgroup, a memory limit with no writable memory
/// cgroup, a containment mechanism this host lacks); nothing ran. Timebox refuses rather than run the program without
/// the safeguard it was asked for.
/// </summary>
public sealed class UnsupportedOptionException : CommandStartException
{
    /// <summary>Creates the exception.</summary>
    public UnsupportedOptionException(Command command, string option, string reason)
        : base(command, $"{option} cannot be enforced here: {reason}") => Option = option;

    /// <summary>The option that cannot be enforced, as named in the public API (for example <c>MaxProcesses</c>).</summary>
    public string Option { get; }
}
