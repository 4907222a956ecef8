namespace Timebox.Cli;

/// <summary>
/// What a batch writes, local or distributed: the results file (open, locked, its partial last line cut and its
/// orphaned output files removed, each said on stderr) and the HTML report, prepared before anything runs.
/// </summary>
internal sealed class BatchFiles : IDisposable
{
    private BatchFiles(ResultsFile results, string resultsPath, ReportFile? html)
    {
        Results = results;
        ResultsPath = resultsPath;
        Html = html;
    }

    public ResultsFile Results { get; }

    public string ResultsPath { get; }

    public ReportFile? Html { get; }

    /// <summary>Opens both; null when one cannot be (said on stderr): the batch then exits with 125.</summary>
    public static BatchFiles? Open(BatchSettings settings)
    {
        var resultsPath = settings.EffectiveResultsPath;
        ResultsFile results;
        try
        {
            results = ResultsFile.Open(resultsPath);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            Messages.Error($"batch: cannot open results {Quoting.Quote(resultsPath)}: {SystemError.Words(exception, resultsPath)}");
            return null;
        }
        if (results.DroppedPartialLine) Messages.Error($"batch: {Quoting.Quote(resultsPath)} ended with an incomplete line (a run was killed while writing it): removed");
        // A distributed batch's output files are the workers': none of them is here to remove.
        var orphans = settings.OutputDirectory is null && settings.Storage is null ? OrphanedOutputs.Remove(settings.EffectiveOutputDirectory, results.OutputFileNames) : 0;
        if (orphans > 0)
            Messages.Error($"batch: removed {TextFormat.Number(orphans)} output files of {Quoting.Quote(settings.EffectiveOutputDirectory)} that no result line refers to (a run was killed while saving them)");
        if (results.UnreadableLines > 0) Messages.Error($"batch: {Quoting.Quote(resultsPath)}: {TextFormat.Number(results.UnreadableLines)} lines are not result lines: ignored");

        ReportFile? html = null;
        if (settings.HtmlPath is { } htmlPath && (html = ReportFile.Prepare(htmlPath, "batch: cannot write HTML report")) is null)
        {
            results.Dispose();
            return null;
        }
        return new BatchFiles(results, resultsPath, html);
    }

    /// <summary>Writes the summary table on stdout and the HTML report; false when the report could not be written (said on stderr).</summary>
    public bool Finish(BatchTally tally, string jobsName, bool useColor)
    {
        Terminal.Write(SummaryTable.Render(tally, ResultsPath, useColor));
        return Html is null || Html.Write(System.Text.Encoding.UTF8.GetBytes(HtmlReport.Render(tally, jobsName, ResultsPath)));
    }

    public void Dispose()
    {
        Results.Dispose();
        Html?.Dispose();
    }
}
