namespace Timebox;

/// <summary>
/// Thrown by the checked calls (<see cref="Command.CheckOutputAsync"/>) when a run did not succeed.
/// Carries the whole <see cref="RunResult"/>: the command line, the status and all output captured so far.
/// </summary>
public class CommandFailedException : Exception
{
    /// <summary>Creates the exception for a finished run.</summary>
    public CommandFailedException(RunResult result)
        : base(Format(result)) => Result = result;

    /// <summary>What happened, with the output captured up to the end.</summary>
    public RunResult Result { get; }

    /// <summary>The exit code, when the program exited.</summary>
    public int? ExitCode => Result.ExitCode;

    /// <summary>The terminating signal, when a signal ended the program.</summary>
    public int? Signal => Result.Signal;

    /// <summary>Captured standard output as text (partial on timeout).</summary>
    public string StandardOutput => Result.Stdout.Text;

    /// <summary>Captured standard error as text (partial on timeout).</summary>
    public string StandardError => Result.Stderr.Text;

    private static string Format(RunResult result)
    {
        var message = $"Command {result.Describe()}: {result.Command.ForMessage()}";
        var stderr = result.Stderr.Length > 0 ? result.Stderr.Text.TrimEnd() : "";
        if (stderr.Length > 2000) stderr = "…" + stderr[^2000..];
        return stderr.Length == 0 ? message : $"{message}{Environment.NewLine}stderr:{Environment.NewLine}{stderr}";
    }
}
