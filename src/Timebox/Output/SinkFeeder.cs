namespace Timebox.Output;

/// <summary>
/// The task that takes one stream's chunks off its queue and gives them, in order, to each of its sinks. A slow sink
/// slows the reading of the pipe (through the queue's back-pressure); it never makes memory grow.
/// </summary>
internal sealed class SinkFeeder(ChunkQueue queue, IReadOnlyList<IOutputSink> sinks)
{
    private readonly CancellationTokenSource _abort = new();

    /// <summary>Delivers until the queue ends; completes with the first sink failure, if any.</summary>
    public async Task RunAsync()
    {
        var token = _abort.Token;
        try
        {
            while (await queue.TakeAsync(token).ConfigureAwait(false) is { } chunk)
                foreach (var sink in sinks) await sink.WriteAsync(chunk.Bytes, token).ConfigureAwait(false);
            foreach (var sink in sinks) await sink.CompleteAsync(token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Abandoned by the run after the kill bound: what was delivered so far stays delivered.
        }
        finally
        {
            // Also after a failure, so that a tee's file on a full disk does not stay open.
            foreach (var sink in sinks) sink.Release();
        }
    }

    /// <summary>Stops delivering: the run is ending past its bound and will not wait for a slow sink any longer.</summary>
    public void Abandon() => _abort.Cancel();
}
