namespace Timebox;

/// <summary>
/// The run's output could not be kept or delivered: a spill file (<see cref="Command.WithSpill"/>) on a full, read-only or
/// failing file system (ENOSPC, EROFS, EIO, EFBIG), or a stream, file, pipe writer or callback target that failed. While the
/// program runs, Timebox then kills its whole tree at once (<see cref="Outcome.OutputFailed"/>); the call returns within the
/// usual bounds. <see cref="Exception.InnerException"/> is the cause: the system's error (in its words), or the exception
/// the stream or callback threw.
/// </summary>
/// <remarks>
/// Nothing captured is lost: <see cref="Result"/> holds the exit status, the outcome and every byte captured until the
/// end (what the spill file took, then the rest in memory). Dispose it to close the spill file, if any, at once.
/// It is an <see cref="IOException"/>, so handlers of I/O failures catch it too.
/// </remarks>
public sealed class CommandOutputException : IOException
{
    // The failure says where (spilling stdout, delivering stderr, ...) and wraps the cause, which becomes the inner exception
    // here; a failure that is its own cause (a pipe read) stays the inner one.
    internal CommandOutputException(RunResult result, Exception failure)
        : base($"{failure.Message}; command {result.Describe()}: {result.Command}", failure.InnerException ?? failure) => Result = result;

    /// <summary>What happened, with the output captured until the end.</summary>
    public RunResult Result { get; }
}
