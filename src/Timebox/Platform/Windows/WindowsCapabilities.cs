namespace Timebox.Platform.Windows;

/// <summary>
/// What Windows offers (see <see cref="HostCapabilities"/>): every run is in a Job Object (<see cref="JobObject"/>), which
/// contains it and enforces <see cref="ResourceLimits.MaxProcesses"/>; no mechanism is offered for <see cref="ResourceLimits.MaxMemoryBytes"/>.
/// </summary>
internal sealed class WindowsCapabilities : IHostCapabilities
{
    public ContainmentMechanism BestContainment => ContainmentMechanism.JobObject;

    public bool IsContainmentAvailable(ContainmentMechanism mechanism) => mechanism is ContainmentMechanism.ProcessTree or ContainmentMechanism.JobObject;

    public MemoryLimitMechanism MemoryLimitMechanism => MemoryLimitMechanism.None;

    public ProcessLimitMechanism ProcessLimitMechanism => ProcessLimitMechanism.JobObject;
}
