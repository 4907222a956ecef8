using System.Globalization;
using System.Text;

namespace Timebox.Cli;

/// <summary>
/// The --html page: one self-contained file (inline CSS, SVG and a few lines of script, nothing fetched) with a
/// timeline of the batch, one lane per worker slot and one bar per attempt, colored by outcome, on a time axis from
/// the start of the batch (hover a bar for the job, its status and its command); then the summary table and the
/// slowest attempts. It is drawn as static SVG, so it reads without script too; the script only adds the legend's
/// filters and marks the page as loaded (body data-ready="yes", data-bars=N) for tests.
/// </summary>
internal static class HtmlReport
{
    private const double Width = 1100, Left = 70, Right = 20, Top = 28;

    public static string Render(BatchTally tally, string jobsPath, string resultsPath)
    {
        var attempts = tally.Attempts();
        var html = new StringBuilder(16 * 1024 + (attempts.Count * 300));
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        html.Append("<title>timebox batch: ").Append(Escape(Path.GetFileName(jobsPath))).Append("</title>\n<style>\n").Append(Style()).Append("</style>\n</head>\n");
        html.Append("<body data-ready=\"no\">\n<h1>timebox batch <span class=\"file\">").Append(Escape(jobsPath)).Append("</span></h1>\n");
        html.Append("<p class=\"meta\">Started ").Append(Escape(tally.StartedAt.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture)))
            .Append(" · ").Append(Number(tally.Done)).Append(" of ").Append(Number(tally.ToRun)).Append(" jobs in ").Append(Escape(TextFormat.Duration(tally.Elapsed)))
            .Append(" (").Append(TextFormat.Rate(tally.Throughput)).Append(" jobs/s) on ").Append(Number(tally.Parallelism)).Append(" workers");
        if (tally.Retries > 0) html.Append(" · ").Append(Number(tally.Retries)).Append(" retried attempts");
        if (tally.AlreadyDone > 0) html.Append(" · ").Append(Number(tally.AlreadyDone)).Append(" jobs already recorded by an earlier run (not shown)");
        if (tally.Malformed > 0) html.Append(" · ").Append(Number(tally.Malformed)).Append(" malformed lines skipped");
        html.Append(" · results in <code>").Append(Escape(resultsPath)).Append("</code></p>\n");

        html.Append("<h2>Timeline</h2>\n<p class=\"legend\">");
        foreach (var name in BatchTally.Classes)
            html.Append("<span class=\"item\" data-class=\"").Append(name).Append("\"><span class=\"swatch o-").Append(name).Append("\"></span>").Append(name).Append("</span> ");
        html.Append("<span class=\"hint\">(click to hide or show)</span></p>\n");
        Timeline(html, attempts, tally);

        html.Append("<h2>Summary</h2>\n<table id=\"summary\">\n<thead><tr><th>outcome</th><th>jobs</th><th>share</th><th>total time</th><th>longest</th><th>longest job</th></tr></thead>\n<tbody>\n");
        var rows = tally.Summary();
        foreach (var row in rows.Where(row => row.Jobs > 0))
        {
            html.Append("<tr><td><span class=\"swatch o-").Append(row.Class).Append("\"></span>").Append(row.Class).Append("</td><td>").Append(Number(row.Jobs))
                .Append("</td><td>").Append(TextFormat.Percent(row.Jobs, tally.Done)).Append("</td><td>").Append(TextFormat.Duration(row.TotalTime))
                .Append("</td><td>").Append(TextFormat.Duration(row.Longest)).Append("</td><td>").Append(Escape(row.LongestId ?? "")).Append("</td></tr>\n");
        }
        html.Append("</tbody>\n<tfoot><tr><td>total</td><td>").Append(Number(tally.Done)).Append("</td><td>100.0%</td><td>")
            .Append(TextFormat.Duration(TimeSpan.FromTicks(rows.Sum(row => row.TotalTime.Ticks)))).Append("</td><td></td><td></td></tr></tfoot>\n</table>\n");

        html.Append("<h2>Slowest attempts</h2>\n<table id=\"slowest\">\n<thead><tr><th>job</th><th>attempt</th><th>outcome</th><th>status</th><th>duration</th><th>command</th></tr></thead>\n<tbody>\n");
        foreach (var attempt in attempts.OrderByDescending(a => a.Duration).Take(20))
        {
            html.Append("<tr><td>").Append(Escape(attempt.Id)).Append("</td><td>").Append(Number(attempt.Attempt)).Append("</td><td><span class=\"swatch o-")
                .Append(attempt.Class).Append("\"></span>").Append(attempt.Class).Append("</td><td>").Append(Escape(attempt.Status)).Append("</td><td>")
                .Append(TextFormat.Duration(attempt.Duration)).Append("</td><td><code>").Append(Escape(attempt.CommandLine)).Append("</code></td></tr>\n");
        }
        html.Append("</tbody>\n</table>\n<script>\n").Append(Script()).Append("</script>\n</body>\n</html>\n");
        return html.ToString();
    }

    private static void Timeline(StringBuilder html, IReadOnlyList<AttemptRecord> attempts, BatchTally tally)
    {
        var lanes = Math.Max(1, tally.Parallelism);
        var laneHeight = Math.Clamp(480.0 / lanes, 6, 26);
        var height = Top + (lanes * laneHeight) + 8;
        var plot = Width - Left - Right;
        var span = attempts.Count == 0 ? tally.Elapsed : attempts.Max(a => a.StartedAt - tally.StartedAt + a.Duration);
        var seconds = Math.Max(span.TotalSeconds, tally.Elapsed.TotalSeconds);
        if (seconds <= 0) seconds = 1;

        html.Append("<svg id=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"").Append(Coordinate(Width)).Append("\" height=\"").Append(Coordinate(height))
            .Append("\" viewBox=\"0 0 ").Append(Coordinate(Width)).Append(' ').Append(Coordinate(height)).Append("\" role=\"img\" aria-label=\"timeline of the batch\">\n");
        // Lanes, one per worker slot.
        for (var lane = 0; lane < lanes; lane++)
        {
            var y = Top + (lane * laneHeight);
            html.Append("<rect class=\"lane\" x=\"").Append(Coordinate(Left)).Append("\" y=\"").Append(Coordinate(y)).Append("\" width=\"").Append(Coordinate(plot))
                .Append("\" height=\"").Append(Coordinate(laneHeight)).Append("\"/>");
            if (laneHeight >= 10 || lane % (int)Math.Ceiling(10 / laneHeight) == 0)
            {
                html.Append("<text class=\"slot\" x=\"").Append(Coordinate(Left - 6)).Append("\" y=\"").Append(Coordinate(y + (laneHeight / 2) + 4))
                    .Append("\">worker ").Append(Number(lane + 1)).Append("</text>");
            }
            html.Append('\n');
        }
        // The time axis, with round ticks.
        var step = TickStep(seconds);
        for (var tick = 0.0; tick <= seconds + (step / 1000); tick += step)
        {
            var x = Left + (tick / seconds * plot);
            html.Append("<line class=\"tick\" x1=\"").Append(Coordinate(x)).Append("\" y1=\"").Append(Coordinate(Top - 4)).Append("\" x2=\"").Append(Coordinate(x))
                .Append("\" y2=\"").Append(Coordinate(height - 8)).Append("\"/><text class=\"time\" x=\"").Append(Coordinate(x)).Append("\" y=\"").Append(Coordinate(Top - 8))
                .Append("\">").Append(Escape(TickLabel(tick, step))).Append("</text>\n");
        }
        // One bar per attempt.
        foreach (var attempt in attempts)
        {
            var start = (attempt.StartedAt - tally.StartedAt).TotalSeconds;
            var x = Left + (Math.Max(0, start) / seconds * plot);
            var width = Math.Max(1.5, attempt.Duration.TotalSeconds / seconds * plot);
            var y = Top + (attempt.Slot * laneHeight) + 1;
            html.Append("<rect class=\"bar o-").Append(attempt.Class).Append("\" x=\"").Append(Coordinate(x)).Append("\" y=\"").Append(Coordinate(y))
                .Append("\" width=\"").Append(Coordinate(width)).Append("\" height=\"").Append(Coordinate(Math.Max(1, laneHeight - 2)))
                .Append("\" data-id=\"").Append(Escape(attempt.Id)).Append("\"><title>").Append(Escape(attempt.Id)).Append(" (attempt ").Append(Number(attempt.Attempt))
                .Append("): ").Append(attempt.Class).Append(", ").Append(Escape(attempt.Status)).Append(", ").Append(TextFormat.Duration(attempt.Duration))
                .Append(" from ").Append(TextFormat.Duration(TimeSpan.FromSeconds(Math.Max(0, start)))).Append(attempt.WillRetry ? ", retried" : "")
                .Append("\n").Append(Escape(attempt.CommandLine)).Append("</title></rect>\n");
        }
        html.Append("</svg>\n");
    }

    private static double TickStep(double seconds)
    {
        var rough = seconds / 8;
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(rough)));
        foreach (var factor in new[] { 1.0, 2, 5, 10 })
            if (magnitude * factor >= rough) return magnitude * factor;
        return magnitude * 10;
    }

    private static string TickLabel(double tick, double step)
    {
        if (step >= 60 && tick >= 60) return TextFormat.Clock(TimeSpan.FromSeconds(tick));
        var decimals = step >= 1 ? 0 : (int)Math.Ceiling(-Math.Log10(step));
        return tick.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) + "s";
    }

    private static string Style()
    {
        var css = new StringBuilder("""
            body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #1d232b; background: #fff; }
            h1 { font-size: 20px; margin: 0 0 4px; } h1 .file { font-weight: normal; color: #56606b; }
            h2 { font-size: 16px; margin: 24px 0 8px; }
            .meta, .hint { color: #56606b; }
            .legend .item { cursor: pointer; margin-right: 12px; user-select: none; } .legend .item.off { opacity: .35; }
            .swatch { display: inline-block; width: 11px; height: 11px; border-radius: 2px; margin-right: 5px; vertical-align: -1px; }
            svg { display: block; max-width: 100%; height: auto; }
            svg .lane { fill: #f3f5f7; stroke: #fff; } svg .tick { stroke: #d5dae0; stroke-width: 1; }
            svg .slot { font-size: 11px; fill: #56606b; text-anchor: end; } svg .time { font-size: 11px; fill: #56606b; text-anchor: middle; }
            svg .bar { stroke: #fff; stroke-width: .5; } svg .bar:hover { stroke: #1d232b; stroke-width: 1.5; }
            table { border-collapse: collapse; } th, td { padding: 3px 12px 3px 0; text-align: left; border-bottom: 1px solid #e4e8ec; }
            td:nth-child(2), td:nth-child(3), td:nth-child(4), td:nth-child(5) { font-variant-numeric: tabular-nums; }
            tfoot td { font-weight: 600; border-bottom: none; } code { font-size: 12px; } td:nth-child(-n+3) { white-space: nowrap; }

            """);
        foreach (var name in BatchTally.Classes)
        {
            var color = OutcomeColors.Css(name);
            css.Append(".o-").Append(name).Append(" { fill: ").Append(color).Append("; background: ").Append(color).Append("; }\n");
            css.Append("#timeline.hide-").Append(name).Append(" .o-").Append(name).Append(" { display: none; }\n");
        }
        return css.ToString();
    }

    private static string Script() => """
        (function () {
          var timeline = document.getElementById('timeline');
          var items = document.querySelectorAll('.legend .item');
          for (var i = 0; i < items.length; i++) {
            items[i].addEventListener('click', function (event) {
              var item = event.currentTarget, name = item.getAttribute('data-class');
              timeline.classList.toggle('hide-' + name);
              item.classList.toggle('off');
            });
          }
          document.body.setAttribute('data-bars', String(timeline.querySelectorAll('rect.bar').length));
          document.body.setAttribute('data-ready', 'yes');
        })();

        """;

    private static string Coordinate(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Escape(string text)
    {
        var escaped = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            switch (c)
            {
                case '&': escaped.Append("&amp;"); break;
                case '<': escaped.Append("&lt;"); break;
                case '>': escaped.Append("&gt;"); break;
                case '"': escaped.Append("&quot;"); break;
                case '\'': escaped.Append("&#39;"); break;
                default: escaped.Append(char.IsControl(c) && c != '\n' ? '\uFFFD' : c); break;
            }
        }
        return escaped.ToString();
    }
}
