namespace Timebox.Output;

/// <summary>
/// What a run's state machine sees of the reader of one output pipe, whichever system reads it (<c>NonBlockingPipeReader</c>
/// on the Unix event loop, <c>OverlappedPipeReader</c> on Windows): what it feeds, and whether it still reads.
/// </summary>
internal interface IOutputReader
{
    /// <summary>What the pipe's bytes go to: the capture, the consumers' queues and the idle clock.</summary>
    OutputConsumers Consumers { get; }

    /// <summary>True while a consumer's queue is full: the pipe is not read until it drains.</summary>
    bool Paused { get; }

    /// <summary>True once the pipe is closed and the consumers were told that no more will come.</summary>
    bool Ended { get; }
}
