using System.Text;

namespace Timebox.Cli;

/// <summary>The table printed at the end of a batch: jobs per outcome, their share, total and longest time, then one line of totals.</summary>
internal static class SummaryTable
{
    public static string Render(BatchTally tally, string resultsPath, bool color)
    {
        var rows = tally.Summary();
        var text = new StringBuilder();
        text.Append($"{"outcome",-16}{"jobs",7}{"share",8}{"total",10}{"longest",10}  longest job\n");
        foreach (var row in rows.Where(row => row.Jobs > 0))
        {
            var name = OutcomeColors.Colored($"{row.Class,-16}", row.Class, color);
            text.Append($"{name}{TextFormat.Number(row.Jobs),7}{TextFormat.Percent(row.Jobs, tally.Done),8}{TextFormat.Duration(row.TotalTime),10}{TextFormat.Duration(row.Longest),10}  {Printable(row.LongestId ?? "")}\n");
        }
        var total = TimeSpan.FromTicks(rows.Sum(row => row.TotalTime.Ticks));
        text.Append($"{"total",-16}{TextFormat.Number(tally.Done),7}{TextFormat.Percent(tally.Done, tally.Done),8}{TextFormat.Duration(total),10}\n");
        text.Append($"{TextFormat.Number(tally.Done)} of {TextFormat.Number(tally.ToRun)} jobs in {TextFormat.Duration(tally.Elapsed)} ({TextFormat.Rate(tally.Throughput)} jobs/s) on {TextFormat.Number(tally.Parallelism)} workers");
        if (tally.Retries > 0) text.Append($"; {TextFormat.Number(tally.Retries)} retried attempts");
        if (tally.AlreadyDone > 0) text.Append($"; {TextFormat.Number(tally.AlreadyDone)} already recorded (skipped)");
        if (tally.Malformed > 0) text.Append($"; {TextFormat.Number(tally.Malformed)} malformed lines skipped");
        text.Append($"\nresults: {resultsPath}\n");
        return text.ToString();
    }

    /// <summary>Control characters of an id shown as '?', so an id cannot move the cursor or recolor the terminal.</summary>
    public static string Printable(string text) =>
        text.Any(char.IsControl) ? new string([.. text.Select(c => char.IsControl(c) ? '?' : c)]) : text;
}
