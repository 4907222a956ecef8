using Hangfire;

namespace Timebox.Hangfire;

/// <summary>
/// A Hangfire activator that creates <see cref="TimeboxJob"/>s with the given worker options (and any other job type
/// as Hangfire's default activator does), for a server built without dependency injection, as `timebox worker` does.
/// </summary>
/// <param name="options">The worker's options.</param>
public sealed class TimeboxJobActivator(TimeboxWorkerOptions options) : JobActivator
{
    /// <inheritdoc />
    public override object ActivateJob(Type jobType) =>
        jobType == typeof(TimeboxJob) ? new TimeboxJob(options) : base.ActivateJob(jobType);
}
