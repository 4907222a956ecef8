using System.Text;

namespace Timebox.Cli;

/// <summary>
/// The live view on a terminal, redrawn in place five times a second with plain ANSI sequences: a progress bar with
/// done/total, throughput, elapsed time and ETA; the count of each outcome; and the slowest jobs running now. Jobs that
/// end without success and notices scroll above it. (Spectre.Console would do, and passes the NativeAOT analyzers,
/// but makes the binary much larger for what fits in this file: bench/NOTES.md.)
/// </summary>
internal sealed class LiveProgress : ProgressView
{
    private const int SlowestShown = 5;
    private static readonly TimeSpan Period = TimeSpan.FromMilliseconds(200);

    private readonly BatchTally _tally;
    private readonly Func<IReadOnlyList<RunningBatchJob>> _running;
    private readonly Lock _gate = new();
    private readonly List<string> _pending = [];
    private readonly Timer _timer;
    private int _drawnLines;
    private bool _ended, _broken;

    public LiveProgress(BatchTally tally, Func<IReadOnlyList<RunningBatchJob>> running)
    {
        _tally = tally;
        _running = running;
        Terminal.Write("\u001b[?25l");
        _timer = new Timer(_ => Draw(), null, TimeSpan.Zero, Period);
    }

    public override bool UsesColor => true;

    public override void OnAttempt(AttemptRecord attempt)
    {
        if (attempt.Class == BatchTally.Succeeded) return;
        var retry = attempt.WillRetry ? ", retrying" : "";
        Queue($"{OutcomeColors.Colored(attempt.Class, attempt.Class, true)} {SummaryTable.Printable(attempt.Id)} ({attempt.Status}) in {TextFormat.Duration(attempt.Duration)}{retry}");
    }

    public override void Notice(string text)
    {
        Queue($"{Messages.ProgramName}: {text}");
        Draw();
    }

    public override void End()
    {
        _timer.Dispose();
        lock (_gate)
        {
            Draw();
            // Leave the last frame on screen above the summary, and the cursor visible again.
            _ended = true;
            Write("\u001b[?25h");
        }
    }

    public override void Dispose()
    {
        _timer.Dispose();
        base.Dispose();
    }

    private void Queue(string line)
    {
        lock (_gate) _pending.Add(line);
    }

    private void Draw()
    {
        lock (_gate)
        {
            if (_ended || _broken) return;
            var width = Math.Max(20, Terminal.Width) - 1;
            var frame = new StringBuilder();
            // Back to the top of the previous frame, and clear it.
            if (_drawnLines > 0) frame.Append("\r\u001b[").Append(_drawnLines).Append("A");
            frame.Append("\r\u001b[J");
            foreach (var line in _pending) frame.Append(line).Append('\n');
            _pending.Clear();
            var lines = Frame(width);
            foreach (var line in lines) frame.Append(line).Append('\n');
            _drawnLines = lines.Count;
            Write(frame.ToString());
        }
    }

    private List<string> Frame(int width)
    {
        var done = _tally.Done;
        var total = _tally.ToRun;
        var eta = _tally.Eta is { } left ? TextFormat.Clock(left) : "-";
        var stats = $" {TextFormat.Number(done)}/{TextFormat.Number(total)} {TextFormat.Percent(done, total)}  {TextFormat.Rate(_tally.Throughput)} jobs/s  elapsed {TextFormat.Clock(_tally.Elapsed)}  ETA {eta}";
        var barWidth = Math.Clamp(width - stats.Length - 2, 10, 50);
        var filled = total == 0 ? barWidth : (int)((long)barWidth * done / total);
        var lines = new List<string>
        {
            $"[\u001b[32m{new string('#', filled)}\u001b[0m{new string('.', barWidth - filled)}]" + Cut(stats, width - barWidth - 2),
        };

        var counts = new StringBuilder();
        var visible = 0;
        foreach (var outcomeClass in BatchTally.Classes)
        {
            var count = _tally.Count(outcomeClass);
            if (count == 0 && outcomeClass is not (BatchTally.Succeeded or BatchTally.Failed)) continue;
            var text = $"{outcomeClass} {TextFormat.Number(count)}  ";
            if (visible + text.Length > width) break;
            counts.Append(OutcomeColors.Colored(text, outcomeClass, count > 0));
            visible += text.Length;
        }
        if (_tally.Retries > 0 && visible + 12 < width) counts.Append("retries ").Append(_tally.Retries);
        lines.Add(counts.ToString());

        var running = _running();
        lines.Add(Cut($"running {TextFormat.Number(running.Count)} of {TextFormat.Number(_tally.Parallelism)}" + (running.Count > 0 ? ", slowest:" : ""), width));
        foreach (var job in running.Take(SlowestShown))
        {
            var attempt = job.Attempt > 1 ? $" (attempt {TextFormat.Number(job.Attempt)})" : "";
            lines.Add(Cut($"  {TextFormat.Duration(job.Elapsed),8}  {job.Job.Id}{attempt}  {job.Job.Command}", width));
        }
        return lines;
    }

    private static string Cut(string text, int width)
    {
        text = SummaryTable.Printable(text);
        return text.Length <= width ? text : text[..Math.Max(0, width - 1)] + "…";
    }

    private void Write(string text)
    {
        if (!_broken && !Terminal.Write(text)) _broken = true;
    }
}
