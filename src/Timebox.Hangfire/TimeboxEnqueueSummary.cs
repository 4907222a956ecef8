namespace Timebox.Hangfire;

/// <summary>What <see cref="TimeboxBatches.Enqueue"/> did with the jobs it was given.</summary>
/// <param name="Enqueued">Jobs enqueued now.</param>
/// <param name="AlreadyQueued">Jobs left alone because a Hangfire job for them is enqueued, scheduled or running.</param>
/// <param name="AlreadyDone">Jobs left alone because the batch already holds their result.</param>
public sealed record TimeboxEnqueueSummary(int Enqueued, int AlreadyQueued, int AlreadyDone);
