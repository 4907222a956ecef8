using Timebox.Execution;
using Timebox.Output;

namespace Timebox.Platform.Unix;

/// <summary>
/// Everything a start takes from the host before the spawn itself: the checked working directory, the environment, the
/// resolved program, the opened output sinks and the redirections. Taking it all on the caller's thread, before a spawn
/// that may run on another (<see cref="Launcher.StartOnThreadPool"/>), keeps what the child gets as it was when
/// the caller asked: a current directory or a variable changed right after the call does not reach it.
/// </summary>
internal sealed record PreparedStart(Command Command, string? WorkingDirectory, EnvironmentBlock Environment, string Path,
    IReadOnlyList<IOutputSink> StdoutSinks, IReadOnlyList<IOutputSink> StderrSinks, RedirectionPlan Plan) : IDisposable
{
    private bool _handedOver;

    public static PreparedStart Of(Command command)
    {
        var workingDirectory = StartChecks.WorkingDirectory(command);
        StartChecks.SpillDirectory(command, UnixSpillFiles.Instance);
        var environment = EnvironmentBlock.For(command);
        var path = ProgramResolver.Resolve(command, environment.SearchPath, workingDirectory);
        var stdoutSinks = OutputRoute.OpenSinks(command, command.Stdout, OutputSource.Stdout);
        IReadOnlyList<IOutputSink> stderrSinks = [];
        try
        {
            stderrSinks = command.StderrMerged ? [] : OutputRoute.OpenSinks(command, command.Stderr, OutputSource.Stderr);
            return new PreparedStart(command, workingDirectory, environment, path, stdoutSinks, stderrSinks, new RedirectionPlan(command));
        }
        catch
        {
            OutputRoute.Abandon([.. stdoutSinks, .. stderrSinks]);
            throw;
        }
    }

    /// <summary>The run has taken the sinks: from now on disposing closes only the descriptors the spawn did not hand on.</summary>
    public void HandOver() => _handedOver = true;

    /// <summary>Closes the descriptors the spawn did not hand on, and the sinks too if no run took them (the start failed).</summary>
    public void Dispose()
    {
        Plan.Dispose();
        if (!_handedOver) OutputRoute.Abandon([.. StdoutSinks, .. StderrSinks]);
    }
}
