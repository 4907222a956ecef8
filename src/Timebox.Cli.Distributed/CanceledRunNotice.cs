using Hangfire.Server;
using Timebox.Cli;
using Timebox.Hangfire;

namespace Timebox.Distributed;

/// <summary>
/// Says on the worker's stderr which runs a graceful stop canceled: each one's canceled attempt is kept on its Hangfire
/// job (parameter "timebox_canceled") and the job goes back to the queue, to run again on a worker.
/// </summary>
internal sealed class CanceledRunNotice(string workerName) : IServerFilter
{
    public void OnPerforming(PerformingContext context)
    {
    }

    public void OnPerformed(PerformedContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Exception is not OperationCanceledException || context.BackgroundJob.Job.Type != typeof(TimeboxJob)) return;
        var args = context.BackgroundJob.Job.Args;
        Messages.Error($"worker {workerName}: canceled job {Quoting.Quote(args[1] as string ?? "?")} of batch {args[0]}: its attempt is kept on Hangfire job " +
            $"{context.BackgroundJob.Id} (timebox_canceled), and the job goes back to the queue");
    }
}
