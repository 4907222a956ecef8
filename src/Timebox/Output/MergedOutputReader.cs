using System.Runtime.CompilerServices;
using System.Text;

namespace Timebox.Output;

/// <summary>
/// Reads a run's piped streams together in arrival order: chunks carry the sequence the event loop stamped on them,
/// and the oldest available one goes first.
/// </summary>
internal static class MergedOutputReader
{
    public static async IAsyncEnumerable<OutputChunk> ReadChunksAsync(IReadOnlyList<ConsumerClaim> claims, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var claim in claims) claim.Take(ConsumerClaim.Kind.Enumeration);
        var pending = new OutputChunk?[claims.Count];
        try
        {
            await foreach (var chunk in MergeAsync(claims, pending, cancellationToken).ConfigureAwait(false)) yield return chunk;
        }
        finally
        {
            foreach (var claim in claims) claim.Release();
        }
    }

    private static async IAsyncEnumerable<OutputChunk> MergeAsync(IReadOnlyList<ConsumerClaim> claims, OutputChunk?[] pending, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (true)
        {
            // Two passes: a queue found empty before another's chunk was seen may since show an older chunk, which the
            // loop wrote before the one seen; after the first pass every such chunk is visible.
            Refill(claims, pending);
            Refill(claims, pending);
            var oldest = -1;
            for (var i = 0; i < pending.Length; i++)
                if (pending[i] is { } chunk && (oldest < 0 || chunk.Sequence < pending[oldest]!.Value.Sequence)) oldest = i;
            if (oldest >= 0)
            {
                var chunk = pending[oldest]!.Value;
                pending[oldest] = null;
                yield return chunk;
                continue;
            }
            var waits = claims.Where(c => !c.Queue.IsFinished).Select(c => c.Queue.WaitAsync(cancellationToken).AsTask()).ToList();
            if (waits.Count == 0) yield break;
            await Task.WhenAny(waits).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    public static async IAsyncEnumerable<OutputLine> ReadLinesAsync(IReadOnlyList<ConsumerClaim> claims, Encoding encoding, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var splitters = new Dictionary<OutputSource, LineSplitter>();
        var lines = new List<(string Text, LineEnding Ending)>();
        await foreach (var chunk in ReadChunksAsync(claims, cancellationToken).ConfigureAwait(false))
        {
            if (!splitters.TryGetValue(chunk.Source, out var splitter)) splitters[chunk.Source] = splitter = new LineSplitter(encoding);
            splitter.Push(chunk.Bytes.Span, lines);
            foreach (var (text, ending) in lines) yield return new OutputLine(chunk.Source, text, ending);
            lines.Clear();
        }
        foreach (var (source, splitter) in splitters)
        {
            splitter.Finish(lines);
            foreach (var (text, ending) in lines) yield return new OutputLine(source, text, ending);
            lines.Clear();
        }
    }

    private static void Refill(IReadOnlyList<ConsumerClaim> claims, OutputChunk?[] pending)
    {
        for (var i = 0; i < claims.Count; i++)
            if (pending[i] is null && claims[i].Queue.TryTake(out var chunk)) pending[i] = chunk;
    }
}
