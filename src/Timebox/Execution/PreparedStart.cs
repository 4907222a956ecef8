using Timebox.Output;

namespace Timebox.Execution;

/// <summary>
/// Everything a start takes from the host before the spawn itself, in the same order on every platform: the working
/// directory checked, the spill directory tried, the child's environment and the program as that environment finds it
/// (<typeparamref name="TProgram"/>, the platform's), the output sinks opened, the child's standard streams opened
/// (<typeparamref name="TStdio"/>, the platform's <see cref="ChildStdio{THandle}"/>). Taking it all on the caller's
/// thread, before a spawn that may run on another (<see cref="Launcher.StartOnThreadPool"/>), keeps what the child gets
/// as it was when the caller asked: a current directory or a variable changed right after the call does not reach it.
/// </summary>
internal sealed record PreparedStart<TProgram, TStdio>(Command Command, string? WorkingDirectory, TProgram Program,
    IReadOnlyList<IOutputSink> StdoutSinks, IReadOnlyList<IOutputSink> StderrSinks, TStdio Stdio) : IDisposable
    where TStdio : IDisposable
{
    private bool _handedOver;

    /// <summary>
    /// Takes the steps in order; <paramref name="spillFiles"/> makes the platform's spill files, <paramref name="locate"/>
    /// is the platform's environment and program search (given the checked working directory), <paramref name="openStdio"/>
    /// its <see cref="ChildStdio{THandle}"/>. Nothing is left open if a step throws.
    /// </summary>
    public static PreparedStart<TProgram, TStdio> Of(Command command, SpillFiles spillFiles, Func<Command, string?, TProgram> locate,
        Func<Command, TStdio> openStdio)
    {
        var workingDirectory = StartChecks.WorkingDirectory(command);
        StartChecks.SpillDirectory(command, spillFiles);
        var program = locate(command, workingDirectory);
        var stdoutSinks = OutputRoute.OpenSinks(command, command.Stdout, OutputSource.Stdout);
        IReadOnlyList<IOutputSink> stderrSinks = [];
        try
        {
            stderrSinks = command.StderrMerged ? [] : OutputRoute.OpenSinks(command, command.Stderr, OutputSource.Stderr);
            return new PreparedStart<TProgram, TStdio>(command, workingDirectory, program, stdoutSinks, stderrSinks, openStdio(command));
        }
        catch
        {
            OutputRoute.Abandon([.. stdoutSinks, .. stderrSinks]);
            throw;
        }
    }

    /// <summary>The run has taken the sinks: from now on disposing closes only the handles the spawn did not hand on.</summary>
    public void HandOver() => _handedOver = true;

    /// <summary>Closes the handles the spawn did not hand on, and the sinks too if no run took them (the start failed).</summary>
    public void Dispose()
    {
        Stdio.Dispose();
        if (!_handedOver) OutputRoute.Abandon([.. StdoutSinks, .. StderrSinks]);
    }
}
