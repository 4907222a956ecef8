namespace Timebox.Output;

/// <summary>
/// What a run's state machine sees of the reader of one output pipe, whichever platform reads it (<see cref="OutputRoute"/>
/// on the Unix event loop, <c>PipeReader</c> with overlapped reads on Windows): its consumers and whether it still reads.
/// </summary>
internal interface IOutputReader
{
    CaptureBuffer? Capture { get; }

    SinkFeeder? Feeder { get; }

    ConsumerClaim? Claim { get; }

    IReadOnlyList<ChunkQueue> Queues { get; }

    /// <summary>True while a consumer's queue is full: the pipe is not read until it drains.</summary>
    bool Paused { get; }

    /// <summary>True once the pipe is closed and the consumers were told that no more will come.</summary>
    bool Ended { get; }
}
