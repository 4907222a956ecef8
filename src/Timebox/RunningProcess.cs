using Timebox.Execution;

namespace Timebox;

/// <summary>
/// A started command: its process id at once, its pipes, waits that can time out and be repeated, signals, and
/// disposal that terminates whatever is still running. The command's own deadline, if any, keeps running
/// whatever the caller does with this handle.
/// </summary>
public sealed class RunningProcess : IDisposable, IAsyncDisposable
{
    private readonly IRunControl _run;
    private readonly Command _command;

    internal RunningProcess(IRunControl run, Command command)
    {
        _run = run;
        _command = command;
    }

    /// <summary>The process id of the main process (also its process group id).</summary>
    public int ProcessId => _run.ProcessId;

    /// <summary>When the process was started.</summary>
    public DateTimeOffset StartedAt => _run.StartedAt;

    /// <summary>Writable standard input when the command used <see cref="StdinSource.Pipe"/>; dispose it to send end-of-file. Otherwise null.</summary>
    public Stream? StandardInput => _run.StandardInput;

    /// <summary>
    /// Readable standard output when the command used <see cref="OutputTarget.Pipe"/> for it; otherwise null. It ends after
    /// the last byte written before the program ended or was killed. Read it, or the program blocks once 1 MiB is unread.
    /// </summary>
    public Stream? StandardOutput => _run.StandardOutput;

    /// <summary>Readable standard error when the command used <see cref="OutputTarget.Pipe"/> for it; otherwise null. As <see cref="StandardOutput"/>.</summary>
    public Stream? StandardError => _run.StandardError;

    /// <summary>
    /// The piped streams (<see cref="OutputTarget.Pipe"/>) as lines, stdout and stderr tagged and in the order they arrived,
    /// decoded with the command's encoding; see <see cref="LineEnding"/> for how lines end. A slow consumer slows the program
    /// (back-pressure), never grows memory. Ends after the last line written before the run ended, whether it exited, timed
    /// out or was canceled; the result is then in <see cref="Completion"/>. Canceling <paramref name="cancellationToken"/> stops
    /// the enumeration, not the process.
    /// </summary>
    /// <exception cref="InvalidOperationException">Neither stream is piped, or a piped stream is already read through its stream.</exception>
    public IAsyncEnumerable<OutputLine> ReadLinesAsync(CancellationToken cancellationToken = default) =>
        Output.MergedOutputReader.ReadLinesAsync(Piped(), _command.Encoding, cancellationToken);

    /// <summary>The piped streams as raw chunks (one per read), tagged and in arrival order, for binary output. Otherwise as <see cref="ReadLinesAsync"/>.</summary>
    /// <exception cref="InvalidOperationException">Neither stream is piped, or a piped stream is already read through its stream.</exception>
    public IAsyncEnumerable<OutputChunk> ReadChunksAsync(CancellationToken cancellationToken = default) =>
        Output.MergedOutputReader.ReadChunksAsync(Piped(), cancellationToken);

    /// <summary>Completes with the result when the run has ended (exit, timeout or cancellation, termination sequence included).</summary>
    public Task<RunResult> Completion => _run.Completion;

    /// <summary>True once the run has ended.</summary>
    public bool HasEnded => _run.Completion.IsCompleted;

    /// <summary>Waits for the end. Canceling <paramref name="cancellationToken"/> stops the wait, not the process.</summary>
    public Task<RunResult> WaitAsync(CancellationToken cancellationToken = default) => _run.Completion.WaitAsync(cancellationToken);

    /// <summary>
    /// Waits at most <paramref name="timeout"/>. Returns the result, or null if the run is still going: the process is
    /// left running (unless <paramref name="killOnTimeout"/>, which then runs the termination sequence and returns its result).
    /// Can be called again.
    /// </summary>
    public async Task<RunResult?> WaitAsync(TimeSpan timeout, bool killOnTimeout = false, CancellationToken cancellationToken = default)
    {
        try
        {
            return await _run.Completion.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            if (!killOnTimeout) return null;
            _run.Terminate(immediately: false);
            return await _run.Completion.ConfigureAwait(false);
        }
    }

    /// <summary>The blocking form of <see cref="WaitAsync(TimeSpan, bool, CancellationToken)"/>.</summary>
    public RunResult? Wait(TimeSpan timeout, bool killOnTimeout = false)
    {
        if (_run.Completion.Wait(timeout)) return _run.Completion.Result;
        if (!killOnTimeout) return null;
        _run.Terminate(immediately: false);
        return _run.Completion.GetAwaiter().GetResult();
    }

    /// <summary>Waits for the end, blocking.</summary>
    public RunResult Wait() => _run.Completion.GetAwaiter().GetResult();

    /// <summary>Sends <paramref name="signal"/> to the main process, or with <paramref name="entireGroup"/> to its whole process group. Does nothing once the run has ended.</summary>
    public void Signal(int signal, bool entireGroup = false)
    {
        if (signal is < 0 or > Signals.Max) throw new ArgumentOutOfRangeException(nameof(signal), signal, "Not a signal number.");
        _run.Signal(signal, entireGroup);
    }

    /// <summary>Runs the termination sequence on the whole tree now (signal, grace period, SIGKILL); the run ends with <see cref="Outcome.Canceled"/>.</summary>
    public void Terminate() => _run.Terminate(immediately: false);

    /// <summary>Kills the whole tree with SIGKILL now; the run ends with <see cref="Outcome.Canceled"/>.</summary>
    public void Kill() => _run.Terminate(immediately: true);

    /// <summary>Terminates whatever is still running (termination sequence) and waits for the end.</summary>
    public void Dispose()
    {
        if (!HasEnded) _run.Terminate(immediately: false);
        _run.Completion.GetAwaiter().GetResult();
        DisposeStreams();
    }

    /// <summary>Terminates whatever is still running (termination sequence) and waits for the end.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!HasEnded) _run.Terminate(immediately: false);
        await _run.Completion.ConfigureAwait(false);
        DisposeStreams();
    }

    private IReadOnlyList<Output.ConsumerClaim> Piped() =>
        _run.PipedOutputs.Count > 0
            ? _run.PipedOutputs
            : throw new InvalidOperationException("Neither output stream is piped: use WithStdout(OutputTarget.Pipe) (or a tee holding it) to read output while the program runs.");

    private void DisposeStreams()
    {
        _run.StandardInput?.Dispose();
        _run.StandardOutput?.Dispose();
        _run.StandardError?.Dispose();
    }
}
