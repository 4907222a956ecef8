namespace Timebox.Cli;

/// <summary>Progress when stdout is not a terminal: one line per ended attempt, such as "[12/500] build-7: failed (exit 2) in 0.120s".</summary>
internal sealed class PlainProgress(BatchTally tally) : ProgressView
{
    private bool _broken;

    public override void OnAttempt(AttemptRecord attempt)
    {
        if (_broken) return;
        var counter = $"[{TextFormat.Number(tally.Done)}/{TextFormat.Number(tally.ToRun)}]";
        var retry = attempt.WillRetry ? $", retrying (attempt {TextFormat.Number(attempt.Attempt + 1)})" : "";
        _broken = !Terminal.Write($"{counter} {SummaryTable.Printable(attempt.Id)}: {attempt.Class} ({attempt.Status}) in {TextFormat.Duration(attempt.Duration)}{retry}\n");
    }
}
