using Timebox.Tests.Support;

namespace Timebox.Tests.Cli;

/// <summary>
/// Base of the CLI tests: runs the published native timebox binary, or GNU timeout for comparison, as a shell would
/// (in the C locale, so both quote with ASCII apostrophes), with the TestChild as the command.
/// </summary>
public abstract class CliTest : ChildTest
{
    /// <summary>Theory data naming the two tools compared: ours and the system's GNU timeout.</summary>
    public static TheoryData<string> BothTools => new() { "timebox", "timeout" };

    protected static string PathOf(string tool) => tool == "timebox" ? TimeboxCli.Path : TimeboxCli.GnuTimeout;

    /// <summary>The command line TOOL ARGS..., ready to run or start.</summary>
    protected Command Tool(string tool, params string[] args) =>
        Program(PathOf(tool), args).WithEnvironment("LC_ALL", "C").WithTimeout(TimeSpan.FromSeconds(60));

    protected Task<RunResult> RunTool(string tool, params string[] args) => Tool(tool, args).RunAsync();

    /// <summary>
    /// Runs TOOL 30 TestChild ACTIONS..., waits until <paramref name="processes"/> TestChild processes have started,
    /// sends <paramref name="signal"/> to the tool and returns how the tool ended.
    /// </summary>
    protected async Task<RunResult> SignalToolAsync(string tool, int signal, int processes, params string[] actions)
    {
        using var running = Tool(tool, Concat(["30"], ChildArgs(actions))).Start();
        WaitForLoggedProcesses(processes);
        running.Signal(signal);
        return await running.WaitAsync();
    }

    /// <summary>The TestChild path followed by its actions, to put after DURATION.</summary>
    protected static string[] ChildArgs(params string[] actions) => [TestChild.Path, .. actions];

    protected static string[] Concat(string[] first, string[] second) => [.. first, .. second];

    /// <summary>What a shell would report as $?: the exit code, or 128 + the signal the tool died of.</summary>
    protected static int ShellStatus(RunResult result) => result.ExitCode ?? (128 + result.Signal!.Value);

    /// <summary>stderr with the tool's name made neutral, so GNU's messages and ours compare equal.</summary>
    /// <remarks>GNU names itself by its argv[0] (here its full path); timebox always says "timebox".</remarks>
    protected static string Diagnostics(RunResult result, string tool) => Diagnostics(result.Stderr.Text, tool);

    /// <inheritdoc cref="Diagnostics(RunResult, string)"/>
    protected static string Diagnostics(string stderr, string tool) =>
        stderr
            .Replace(PathOf(tool) + ":", "TOOL:", StringComparison.Ordinal).Replace(tool + ":", "TOOL:", StringComparison.Ordinal)
            .Replace($"'{PathOf(tool)} --help'", "'TOOL --help'", StringComparison.Ordinal).Replace($"'{tool} --help'", "'TOOL --help'", StringComparison.Ordinal);
}
