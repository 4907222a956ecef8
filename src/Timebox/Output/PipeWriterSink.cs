using System.IO.Pipelines;

namespace Timebox.Output;

/// <summary>Writes output to a <see cref="PipeWriter"/>, honouring its back-pressure; the writer is left open for its owner to complete.</summary>
internal sealed class PipeWriterSink(PipeWriter writer) : IOutputSink
{
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken) =>
        await writer.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);

    public async ValueTask CompleteAsync(CancellationToken cancellationToken) =>
        await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
}
