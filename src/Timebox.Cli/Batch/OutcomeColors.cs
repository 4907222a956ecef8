namespace Timebox.Cli;

/// <summary>One color per outcome class, for the terminal (ANSI SGR) and the HTML report (CSS), so both read the same.</summary>
internal static class OutcomeColors
{
    public static string Ansi(string outcomeClass) => outcomeClass switch
    {
        BatchTally.Succeeded => "32",
        BatchTally.Failed => "31",
        ReportOutcome.Signaled => "35",
        ReportOutcome.TimedOut => "33",
        ReportOutcome.IdleTimedOut => "36",
        ReportOutcome.Canceled => "90",
        _ => "1;31",
    };

    public static string Css(string outcomeClass) => outcomeClass switch
    {
        BatchTally.Succeeded => "#2e9e44",
        BatchTally.Failed => "#d7263d",
        ReportOutcome.Signaled => "#8e44ad",
        ReportOutcome.TimedOut => "#f08c00",
        ReportOutcome.IdleTimedOut => "#1c9bd6",
        ReportOutcome.Canceled => "#8a8f98",
        _ => "#5c1a1a",
    };

    public static string Colored(string text, string outcomeClass, bool color) =>
        color ? $"\u001b[{Ansi(outcomeClass)}m{text}\u001b[0m" : text;
}
