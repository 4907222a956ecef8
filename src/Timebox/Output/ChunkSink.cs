namespace Timebox.Output;

/// <summary>Calls back once per read with the raw bytes.</summary>
internal sealed class ChunkSink(Func<ReadOnlyMemory<byte>, ValueTask> onChunk) : IOutputSink
{
    public ValueTask WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken) => onChunk(bytes);

    public ValueTask CompleteAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
