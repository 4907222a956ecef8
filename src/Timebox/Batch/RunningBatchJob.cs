namespace Timebox;

/// <summary>An attempt in flight, as seen by <see cref="BatchRunner.Running"/> at one moment (for progress displays).</summary>
/// <param name="Job">The job.</param>
/// <param name="Attempt">The attempt's number.</param>
/// <param name="Slot">The worker slot running it.</param>
/// <param name="ProcessId">The main process's id (also its process group id).</param>
/// <param name="StartedAt">When it started.</param>
/// <param name="Elapsed">How long it had been running when the snapshot was taken.</param>
public sealed record RunningBatchJob(BatchJob Job, int Attempt, int Slot, int ProcessId, DateTimeOffset StartedAt, TimeSpan Elapsed);
