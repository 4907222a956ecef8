namespace Timebox.Platform.Unix;

/// <summary>
/// What macOS offers (see <see cref="HostCapabilities"/>): nothing beyond the process tree. It has no cgroups and no
/// child subreaper, and runs get no native spawn shim to set limits up before exec.
/// </summary>
internal sealed class DarwinCapabilities : IHostCapabilities
{
    public ContainmentMechanism BestContainment => ContainmentMechanism.ProcessTree;

    public bool IsContainmentAvailable(ContainmentMechanism mechanism) => mechanism == ContainmentMechanism.ProcessTree;

    public MemoryLimitMechanism MemoryLimitMechanism => MemoryLimitMechanism.None;

    public ProcessLimitMechanism ProcessLimitMechanism => ProcessLimitMechanism.None;
}
