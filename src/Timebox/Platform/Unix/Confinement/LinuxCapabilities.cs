namespace Timebox.Platform.Unix;

/// <summary>
/// What Linux offers (see <see cref="HostCapabilities"/>), probed once each: cgroups where one can be made under the
/// host's own (<see cref="ContainmentSupport"/>, <see cref="MemoryLimits"/>, <see cref="ProcessLimits"/>), the child subreaper, rlimits.
/// </summary>
internal sealed class LinuxCapabilities : IHostCapabilities
{
    public ContainmentMechanism BestContainment => ContainmentSupport.Best;

    public bool IsContainmentAvailable(ContainmentMechanism mechanism) => ContainmentSupport.IsAvailable(mechanism);

    public MemoryLimitMechanism MemoryLimitMechanism => MemoryLimits.Mechanism;

    public ProcessLimitMechanism ProcessLimitMechanism => ProcessLimits.Mechanism;
}
