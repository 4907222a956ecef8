namespace Timebox.Output;

/// <summary>Copies output to a stream; disposes it only when Timebox opened it (a file in a tee, the host's own stream).</summary>
internal sealed class StreamSink(Stream stream, bool ownsStream) : IOutputSink
{
    public ValueTask WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken) => stream.WriteAsync(bytes, cancellationToken);

    public async ValueTask CompleteAsync(CancellationToken cancellationToken)
    {
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        if (ownsStream) await stream.DisposeAsync().ConfigureAwait(false);
    }
}
