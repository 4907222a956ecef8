namespace Timebox.Execution;

/// <summary>The seam between the public handle and a platform's run: everything a caller can ask of a running command.</summary>
internal interface IRunControl
{
    int ProcessId { get; }

    DateTimeOffset StartedAt { get; }

    Task<RunResult> Completion { get; }

    Stream? StandardInput { get; }

    Stream? StandardOutput { get; }

    Stream? StandardError { get; }

    /// <summary>The streams the caller reads (<see cref="OutputTarget.Pipe"/>), for the line and chunk readers that interleave them in arrival order.</summary>
    IReadOnlyList<Output.ConsumerClaim> PipedOutputs { get; }

    /// <summary>Sends a signal to the main process, or to its whole process group.</summary>
    void Signal(int signal, bool entireGroup);

    /// <summary>Runs the termination sequence (or, when <paramref name="immediately"/>, SIGKILL at once) and ends with <see cref="Outcome.Canceled"/>.</summary>
    void Terminate(bool immediately);
}
