namespace Timebox.Platform;

/// <summary>One system's answers for <see cref="HostCapabilities"/>: each platform has its own, and the host picks one once.</summary>
internal interface IHostCapabilities
{
    ContainmentMechanism BestContainment { get; }

    bool IsContainmentAvailable(ContainmentMechanism mechanism);

    MemoryLimitMechanism MemoryLimitMechanism { get; }

    ProcessLimitMechanism ProcessLimitMechanism { get; }
}
