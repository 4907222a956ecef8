using System.Diagnostics;

namespace Timebox.Cli;

/// <summary>One attempt as the views show it.</summary>
internal sealed record AttemptRecord(string Id, int Attempt, int Slot, string Class, DateTimeOffset StartedAt, TimeSpan Duration, string Status, string CommandLine, bool WillRetry);

/// <summary>One row of the summary: an outcome class, its jobs, their total and longest time.</summary>
internal sealed record SummaryRow(string Class, int Jobs, TimeSpan TotalTime, TimeSpan Longest, string? LongestId);

/// <summary>
/// What the live view, the summary table and the HTML report show: jobs counted by the outcome of their last attempt
/// (exited is split into succeeded and failed), every attempt with its worker slot and times, throughput and ETA.
/// Fed by the batch's consumer loop, read by the live view's timer: every member takes the lock.
/// </summary>
internal sealed class BatchTally
{
    public const string Succeeded = "succeeded", Failed = "failed";

    /// <summary>The outcome classes, in the order every view lists them.</summary>
    public static readonly string[] Classes =
        [Succeeded, Failed, ReportOutcome.Signaled, ReportOutcome.TimedOut, ReportOutcome.IdleTimedOut, ReportOutcome.Canceled, ReportOutcome.StartFailed];

    private readonly Lock _gate = new();
    private readonly Dictionary<string, (int Jobs, TimeSpan Total, TimeSpan Longest, string? LongestId)> _byClass = [];
    private readonly List<AttemptRecord> _attempts = [];
    private readonly long _startTimestamp = Stopwatch.GetTimestamp();
    private int _done, _retries;

    public BatchTally(int toRun, int alreadyDone, int malformed, int parallelism)
    {
        ToRun = toRun;
        AlreadyDone = alreadyDone;
        Malformed = malformed;
        Parallelism = parallelism;
        foreach (var name in Classes) _byClass[name] = (0, TimeSpan.Zero, TimeSpan.Zero, null);
    }

    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;

    public int ToRun { get; }

    public int AlreadyDone { get; }

    public int Malformed { get; }

    public int Parallelism { get; }

    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(_startTimestamp);

    public int Done
    {
        get
        {
            lock (_gate) return _done;
        }
    }

    public int Retries
    {
        get
        {
            lock (_gate) return _retries;
        }
    }

    /// <summary>The class of an attempt: its report outcome's family, with exited split into succeeded and failed.</summary>
    public static string ClassOf(BatchResult attempt) => ClassOf(attempt.Result?.Outcome, attempt.Result?.ExitCode);

    /// <summary>The class of an attempt that ended in <paramref name="outcome"/> (null: it could not start) with <paramref name="exitCode"/>.</summary>
    public static string ClassOf(Outcome? outcome, int? exitCode) => outcome is not { } ended
        ? ReportOutcome.StartFailed
        : ReportOutcome.FamilyOf(ended) is var family && family == ReportOutcome.Exited ? (exitCode == 0 ? Succeeded : Failed) : family;

    /// <summary>"exit 3", "signal 15", or the start error.</summary>
    public static string StatusOf(BatchResult attempt) => attempt.Result is null
        ? attempt.StartError is { } error ? StartFailure.From(error).Reason : "could not start"
        : StatusOf(attempt.Result.ExitCode, attempt.Result.Signal, null) ?? "status unknown";

    /// <summary>"exit 3", "signal 15 (TERM)", else <paramref name="error"/>.</summary>
    public static string? StatusOf(int? exitCode, int? signal, string? error) =>
        exitCode is { } code ? $"exit {code}" : signal is { } number ? $"signal {number} ({Signals.NameOf(number)})" : error;

    /// <summary>Counts an attempt; returns its record.</summary>
    public AttemptRecord Add(BatchResult attempt) =>
        Add(new AttemptRecord(attempt.Job.Id, attempt.Attempt, attempt.Slot, ClassOf(attempt), attempt.StartedAt, attempt.Duration,
            StatusOf(attempt), attempt.Job.Command.ToString(), attempt.WillRetry));

    /// <summary>Counts an attempt known by its record (a distributed batch's, read back from its result line).</summary>
    public AttemptRecord Add(AttemptRecord record)
    {
        lock (_gate)
        {
            _attempts.Add(record);
            if (record.WillRetry)
            {
                _retries++;
                return record;
            }
            _done++;
            var (jobs, total, longest, longestId) = _byClass[record.Class];
            var isLongest = record.Duration >= longest;
            _byClass[record.Class] = (jobs + 1, total + record.Duration, isLongest ? record.Duration : longest, isLongest ? record.Id : longestId);
        }
        return record;
    }

    public int Count(string outcomeClass)
    {
        lock (_gate) return _byClass[outcomeClass].Jobs;
    }

    public IReadOnlyList<SummaryRow> Summary()
    {
        lock (_gate)
        {
            return [.. Classes.Select(name =>
            {
                var (jobs, total, longest, longestId) = _byClass[name];
                return new SummaryRow(name, jobs, total, longest, longestId);
            })];
        }
    }

    public IReadOnlyList<AttemptRecord> Attempts()
    {
        lock (_gate) return [.. _attempts];
    }

    /// <summary>Jobs finished per second so far.</summary>
    public double Throughput
    {
        get
        {
            var seconds = Elapsed.TotalSeconds;
            return seconds > 0 ? Done / seconds : 0;
        }
    }

    /// <summary>Time left at the throughput so far, or null before the first job ends.</summary>
    public TimeSpan? Eta
    {
        get
        {
            var done = Done;
            if (done == 0) return null;
            return TimeSpan.FromSeconds(Elapsed.TotalSeconds / done * (ToRun - done));
        }
    }
}
