namespace Timebox.Output;

/// <summary>A destination fed off the event loop, in order, by a <see cref="SinkFeeder"/>: a stream, a pipe writer, a callback.</summary>
internal interface IOutputSink
{
    ValueTask WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken);

    /// <summary>The stream ended (or the run was cut short): deliver what is pending and flush.</summary>
    ValueTask CompleteAsync(CancellationToken cancellationToken);

    /// <summary>Delivery has stopped, completed or not (a failure, an abandoned sink, a start that failed): closes what Timebox opened for the sink.</summary>
    void Release()
    {
    }
}
