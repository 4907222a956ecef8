using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Timebox.Batch;

namespace Timebox;

/// <summary>
/// Runs a batch of commands: at most <see cref="BatchOptions.MaxParallelism"/> at once, each under its own command's
/// deadline, the whole under an optional batch deadline, fail-fast or keep-going, with retries on chosen outcomes, and
/// streams back one <see cref="BatchResult"/> per attempt as soon as it ends. A runner runs one batch.
/// </summary>
/// <remarks>
/// No thread per job: the workers are asynchronous and every process is watched by Timebox's event loop. On a job's own
/// timeout its tree gets the termination sequence and the batch goes on. When the batch stops (cancellation,
/// <see cref="Stop"/>, the batch deadline, fail-fast, or a consumer leaving the enumeration early) no further job
/// starts and every run in flight gets the termination sequence (termination signal, grace period, SIGKILL to the whole
/// tree) and is delivered with <see cref="Outcome.Canceled"/>; <see cref="Kill"/> skips the grace period.
/// </remarks>
public sealed class BatchRunner
{
    private readonly BatchOptions _options;
    private readonly Lock _gate = new();
    private readonly Dictionary<int, InFlight> _running = [];
    private CancellationTokenSource? _stop;
    private int _parallelism, _occupied;
    private TaskCompletionSource _slotFreed = NewSignal();
    private int _started;
    private bool _stopping, _killing;
    private BatchStopReason _stopReason;
    private Exception? _fault;

    /// <summary>A runner with the given options (the defaults when null).</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public BatchRunner(BatchOptions? options = null)
    {
        _options = options ?? new BatchOptions();
        _options.Validate();
        _parallelism = _options.MaxParallelism;
    }

    /// <summary>The options.</summary>
    public BatchOptions Options => _options;

    /// <summary>
    /// How many jobs run at most at once now: <see cref="BatchOptions.MaxParallelism"/>, or fewer once starting a job ran
    /// out of the host's resources (see <see cref="ParallelismReduced"/>).
    /// </summary>
    public int Parallelism
    {
        get
        {
            lock (_gate) return _parallelism;
        }
    }

    /// <summary>
    /// Raised (on a worker's thread) when starting a job failed for want of the host's own resources (EMFILE, ENFILE,
    /// ENOMEM, EAGAIN) while other jobs were running: the batch then runs as many jobs at once as were running, and the
    /// job starts again once one of them ended; its failed start is never delivered as its result. When nothing else of
    /// the batch was running, the batch faults with that error instead (<see cref="BatchStopReason.Faulted"/>), and the
    /// job is not delivered either.
    /// </summary>
    public event EventHandler<ParallelismReducedEventArgs>? ParallelismReduced;

    /// <summary>Why the batch stopped early, or <see cref="BatchStopReason.None"/>.</summary>
    public BatchStopReason StopReason
    {
        get
        {
            lock (_gate) return _stopReason;
        }
    }

    /// <summary>The attempts in flight now, longest-running first (a snapshot, for progress displays).</summary>
    public IReadOnlyList<RunningBatchJob> Running
    {
        get
        {
            var now = Stopwatch.GetTimestamp();
            lock (_gate)
            {
                return _running.Values
                    .Select(run => new RunningBatchJob(run.Job, run.Attempt, run.Slot, run.Process.ProcessId, run.StartedAt, Stopwatch.GetElapsedTime(run.StartTimestamp, now)))
                    .OrderByDescending(run => run.Elapsed)
                    .ToList();
            }
        }
    }

    /// <summary>
    /// Stops the batch gracefully: no further job starts, and every run in flight gets the termination sequence (its
    /// command's termination signal, grace period, then SIGKILL to the whole tree) and is delivered with
    /// <see cref="Outcome.Canceled"/>. The enumeration of results ends once they have ended. Same as canceling the token.
    /// </summary>
    public void Stop() => StopWith(BatchStopReason.Canceled);

    /// <summary>
    /// Stops the batch at once: as <see cref="Stop"/>, but every run in flight is killed with SIGKILL now, whole tree,
    /// without waiting for its grace period (also those already in their termination sequence).
    /// </summary>
    public void Kill()
    {
        List<InFlight> running;
        lock (_gate)
        {
            if (!_stopping) _stopReason = BatchStopReason.Canceled;
            _stopping = _killing = true;
            running = [.. _running.Values];
            _stop?.Cancel();
            FreeSlot();
        }
        foreach (var run in running) run.Process.Kill();
    }

    /// <summary>Runs <paramref name="commands"/> as jobs named by their position ("0", "1", …). See <see cref="RunAsync(IAsyncEnumerable{BatchJob}, CancellationToken)"/>.</summary>
    public IAsyncEnumerable<BatchResult> RunAsync(IEnumerable<Command> commands, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(commands);
        return RunAsync(commands.Select((command, index) => new BatchJob(index.ToString(System.Globalization.CultureInfo.InvariantCulture), command)), cancellationToken);
    }

    /// <summary>Runs <paramref name="jobs"/>, read lazily as workers become free. See <see cref="RunAsync(IAsyncEnumerable{BatchJob}, CancellationToken)"/>.</summary>
    public IAsyncEnumerable<BatchResult> RunAsync(IEnumerable<BatchJob> jobs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        return RunAsync(JobSource.FromSequence(jobs), cancellationToken);
    }

    /// <summary>
    /// Runs <paramref name="jobs"/> (read as workers become free, so the sequence may still be growing) and yields each
    /// attempt's result as soon as it ends, in the order they end. Results are handed over with back-pressure: while the
    /// consumer holds one, at most <see cref="BatchOptions.MaxParallelism"/> further results wait, and no new job starts.
    /// </summary>
    /// <remarks>
    /// Canceling <paramref name="cancellationToken"/> is <see cref="Stop"/>: the runs in flight get the termination sequence,
    /// their results (<see cref="Outcome.Canceled"/>) are still yielded, and the enumeration then ends without throwing;
    /// jobs that never started yield nothing. The same happens on the batch deadline and on fail-fast. Leaving the
    /// enumeration early stops the batch the same way and waits until every run in flight has ended. The enumeration
    /// throws only when the batch faulted (<see cref="BatchStopReason.Faulted"/>), after the runs in flight ended.
    /// </remarks>
    /// <exception cref="InvalidOperationException">The runner already ran a batch.</exception>
    public IAsyncEnumerable<BatchResult> RunAsync(IAsyncEnumerable<BatchJob> jobs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        if (Interlocked.Exchange(ref _started, 1) != 0) throw new InvalidOperationException("A BatchRunner runs one batch; create another one.");
        return Enumerate(jobs, cancellationToken);
    }

    private async IAsyncEnumerable<BatchResult> Enumerate(IAsyncEnumerable<BatchJob> jobs, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var results = Channel.CreateBounded<BatchResult>(new BoundedChannelOptions(_options.MaxParallelism) { SingleReader = true });
        using var stop = new CancellationTokenSource();
        lock (_gate)
        {
            _stop = stop;
            // Stopped before the enumeration began: nothing starts.
            if (_stopping) stop.Cancel();
        }
        await using var source = new JobSource(jobs, stop.Token);
        using var canceled = cancellationToken.Register(static state => ((BatchRunner)state!).Stop(), this);
        // A deadline beyond what a timer can count (about 49 days) is none.
        using var deadline = _options.Timeout is { } timeout && timeout != System.Threading.Timeout.InfiniteTimeSpan && timeout.TotalMilliseconds < uint.MaxValue - 1
            ? new Timer(static state => ((BatchRunner)state!).StopWith(BatchStopReason.TimedOut), this, timeout, System.Threading.Timeout.InfiniteTimeSpan)
            : null;
        var workers = new Task[_options.MaxParallelism];
        for (var slot = 0; slot < workers.Length; slot++)
        {
            var worker = slot;
            workers[slot] = Task.Run(() => WorkAsync(worker, source, results.Writer));
        }
        var all = Task.WhenAll(workers).ContinueWith(
            _ => results.Writer.TryComplete(Volatile.Read(ref _fault)), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        try
        {
            await foreach (var result in results.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
                yield return result;
        }
        finally
        {
            if (!all.IsCompleted)
            {
                // The consumer left early: stop, and keep taking results so that no worker waits on a full channel.
                Stop();
                await DiscardAsync(results.Reader).ConfigureAwait(false);
            }
            await all.ConfigureAwait(false);
            lock (_gate) _stop = null;
        }
    }

    private static async Task DiscardAsync(ChannelReader<BatchResult> results)
    {
        try
        {
            while (await results.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false))
                while (results.TryRead(out var abandoned)) abandoned.Result?.Dispose();
        }
#pragma warning disable CA1031 // the consumer is gone: a fault has nobody left to be reported to
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    private async Task WorkAsync(int slot, JobSource source, ChannelWriter<BatchResult> results)
    {
        try
        {
            while (!Volatile.Read(ref _stopping) && await source.NextAsync().ConfigureAwait(false) is { } job)
            {
                // Stopped while waiting for the job: it never starts (and yields nothing).
                if (Volatile.Read(ref _stopping)) break;
                var lastAttempt = Math.Max(job.FirstAttempt, _options.MaxAttempts);
                for (var attempt = job.FirstAttempt; ; attempt++)
                {
                    // Stopped while waiting for room to start: it never starts (and yields nothing).
                    if (await RunAttemptAsync(slot, job, attempt).ConfigureAwait(false) is not { } ran) return;
                    var (result, startedAt, duration, error) = ran;
                    var retry = attempt < lastAttempt && !Volatile.Read(ref _stopping) && ShouldRetry(result);
                    var batchResult = new BatchResult(job, attempt, slot, result, error, startedAt, duration, retry);
                    await results.WriteAsync(batchResult).ConfigureAwait(false);
                    if (retry) continue;
                    if (_options.FailFast && !batchResult.Succeeded) StopWith(BatchStopReason.FailFast);
                    break;
                }
            }
        }
#pragma warning disable CA1031 // any failure faults the batch: it is rethrown to the consumer once every run has ended
        catch (Exception exception)
#pragma warning restore CA1031
        {
            Interlocked.CompareExchange(ref _fault, exception, null);
            StopWith(BatchStopReason.Faulted);
        }
    }

    private async Task<(RunResult? Result, DateTimeOffset StartedAt, TimeSpan Duration, CommandStartException? Error)?> RunAttemptAsync(int slot, BatchJob job, int attempt)
    {
        long startTimestamp;
        DateTimeOffset startedAt;
        RunningProcess process;
        while (true)
        {
            if (!await EnterAsync().ConfigureAwait(false)) return null;
            startTimestamp = Stopwatch.GetTimestamp();
            startedAt = DateTimeOffset.UtcNow;
            try
            {
                process = job.Command.Start();
                break;
            }
            catch (Exception exception) when (ResourceExhaustion.Find(exception) is { } errno)
            {
                // The host's limit, not the job's failure: run fewer at once, and this job again once one of them ended.
                int inFlight;
                lock (_gate)
                {
                    inFlight = _occupied - 1;
                    if (inFlight > 0) _parallelism = Math.Min(_parallelism, inFlight);
                }
                Leave();
                if (inFlight == 0) throw;
                ParallelismReduced?.Invoke(this, new ParallelismReducedEventArgs(inFlight, exception, ResourceExhaustion.Words(errno)));
            }
            catch (CommandStartException exception)
            {
                Leave();
                return (null, startedAt, Stopwatch.GetElapsedTime(startTimestamp), exception);
            }
            catch
            {
                Leave();
                throw;
            }
        }
        using var slotTaken = new SlotRelease(this);
        await using (process.ConfigureAwait(false))
        {
            bool stopping, killing;
            lock (_gate)
            {
                _running[slot] = new InFlight(job, attempt, slot, process, process.StartedAt, startTimestamp);
                stopping = _stopping;
                killing = _killing;
            }
            // Stopped between the check for a next job and here: this run is part of what is in flight, so it goes too.
            if (killing) process.Kill();
            else if (stopping) process.Terminate();
            try
            {
                process.StandardInput?.Dispose();
                var result = await process.Completion.ConfigureAwait(false);
                return (result, result.StartedAt, result.Duration, null);
            }
            finally
            {
                lock (_gate) _running.Remove(slot);
            }
        }
    }

    /// <summary>Takes room for one run (at most <see cref="Parallelism"/> start or run at once); false when the batch stopped meanwhile.</summary>
    private async Task<bool> EnterAsync()
    {
        while (true)
        {
            Task freed;
            lock (_gate)
            {
                if (_stopping) return false;
                if (_occupied < _parallelism)
                {
                    _occupied++;
                    return true;
                }
                freed = _slotFreed.Task;
            }
            await freed.ConfigureAwait(false);
        }
    }

    private void Leave()
    {
        lock (_gate)
        {
            _occupied--;
            FreeSlot();
        }
    }

    /// <summary>Wakes the workers waiting for room (under the gate; they continue asynchronously).</summary>
    private void FreeSlot()
    {
        var freed = _slotFreed;
        _slotFreed = NewSignal();
        freed.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private readonly struct SlotRelease(BatchRunner runner) : IDisposable
    {
        public void Dispose() => runner.Leave();
    }

    private bool ShouldRetry(RunResult? result) =>
        result is not null
        && !result.Succeeded
        && result.Outcome != Outcome.Canceled
        && _options.RetryOn.Contains(result.Outcome);

    private void StopWith(BatchStopReason reason)
    {
        List<InFlight> running;
        lock (_gate)
        {
            if (_stopping) return;
            _stopping = true;
            _stopReason = reason;
            running = [.. _running.Values];
            _stop?.Cancel();
            FreeSlot();
        }
        foreach (var run in running) run.Process.Terminate();
    }

    private sealed record InFlight(BatchJob Job, int Attempt, int Slot, RunningProcess Process, DateTimeOffset StartedAt, long StartTimestamp);
}
