using Timebox.Execution;
using Timebox.Output;

namespace Timebox.Platform.Unix;

/// <summary>
/// Everything a start takes from the host before the spawn itself: the checked working directory, the environment, the
/// resolved program, the opened output sinks and the redirections. Taking it all on the caller's thread, before a spawn
/// that may run on another (<see cref="Launcher.StartOnThreadPool"/>), keeps what the child gets as it was when
/// the caller asked: a current directory or a variable changed right after the call does not reach it.
/// </summary>
internal sealed class PreparedStart : IDisposable
{
    private PreparedStart(Command command, string? workingDirectory, EnvironmentBlock environment, string path,
        IReadOnlyList<IOutputSink> stdoutSinks, IReadOnlyList<IOutputSink> stderrSinks, RedirectionPlan plan)
    {
        Command = command;
        WorkingDirectory = workingDirectory;
        Environment = environment;
        Path = path;
        StdoutSinks = stdoutSinks;
        StderrSinks = stderrSinks;
        Plan = plan;
    }

    public Command Command { get; }

    public string? WorkingDirectory { get; }

    public EnvironmentBlock Environment { get; }

    public string Path { get; }

    public IReadOnlyList<IOutputSink> StdoutSinks { get; }

    public IReadOnlyList<IOutputSink> StderrSinks { get; }

    public RedirectionPlan Plan { get; }

    public static PreparedStart Of(Command command)
    {
        var workingDirectory = StartChecks.WorkingDirectory(command);
        StartChecks.SpillDirectory(command);
        var environment = EnvironmentBlock.For(command);
        var path = ProgramResolver.Resolve(command, environment.SearchPath, workingDirectory);
        var stdoutSinks = OutputRoute.OpenSinks(command, command.Stdout, OutputSource.Stdout);
        var stderrSinks = command.MergeStderrIntoStdout ? [] : OutputRoute.OpenSinks(command, command.Stderr, OutputSource.Stderr);
        return new PreparedStart(command, workingDirectory, environment, path, stdoutSinks, stderrSinks, new RedirectionPlan(command));
    }

    /// <summary>Closes the descriptors the spawn did not hand on.</summary>
    public void Dispose() => Plan.Dispose();
}
