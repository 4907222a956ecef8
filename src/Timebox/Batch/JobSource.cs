namespace Timebox.Batch;

/// <summary>
/// Hands out the jobs of a batch to its workers one at a time, from a sequence or an asynchronous sequence (enumerators
/// are not thread-safe, so the workers take turns). Waiting for the next job ends when the batch stops.
/// </summary>
internal sealed class JobSource : IAsyncDisposable
{
    private readonly IAsyncEnumerator<BatchJob> _jobs;
    private readonly SemaphoreSlim _turn = new(1, 1);
    private readonly CancellationToken _stopped;
    private bool _ended;

    public JobSource(IAsyncEnumerable<BatchJob> jobs, CancellationToken stopped)
    {
        _stopped = stopped;
        _jobs = jobs.GetAsyncEnumerator(stopped);
    }

    /// <summary>The next job, or null when there is none left or the batch stopped.</summary>
    public async ValueTask<BatchJob?> NextAsync()
    {
        try
        {
            await _turn.WaitAsync(_stopped).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
        try
        {
            if (_ended || _stopped.IsCancellationRequested) return null;
            bool more;
            try
            {
                more = await _jobs.MoveNextAsync().ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stopped.IsCancellationRequested)
            {
                more = false;
            }
            if (!more)
            {
                _ended = true;
                return null;
            }
            return _jobs.Current ?? throw new InvalidOperationException("A batch's job sequence yielded null.");
        }
        finally
        {
            _turn.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _jobs.DisposeAsync().ConfigureAwait(false);
        _turn.Dispose();
    }

    /// <summary>A plain sequence as an asynchronous one (it is read by one worker at a time, never concurrently).</summary>
    public static async IAsyncEnumerable<BatchJob> FromSequence(IEnumerable<BatchJob> jobs)
    {
        foreach (var job in jobs)
        {
            yield return job;
        }
        await Task.CompletedTask.ConfigureAwait(false);
    }
}
