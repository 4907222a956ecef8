namespace Timebox.Output;

/// <summary>Copies output to a stream; disposes it only when Timebox opened it (a file in a tee, the host's own stream).</summary>
internal sealed class StreamSink(Stream stream, bool ownsStream) : IOutputSink
{
    public ValueTask WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken) => stream.WriteAsync(bytes, cancellationToken);

    public async ValueTask CompleteAsync(CancellationToken cancellationToken) => await stream.FlushAsync(cancellationToken).ConfigureAwait(false);

    public void Release()
    {
        if (!ownsStream) return;
        try
        {
            stream.Dispose();
        }
        catch (IOException)
        {
            // What the stream still buffered could not be written (a full disk): that failure ended delivery and was
            // reported already, and the file is closed all the same.
        }
    }
}
