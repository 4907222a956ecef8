using Timebox.Tests.Support;

namespace Timebox.Tests.Cli;

/// <summary>
/// The CLI under the JIT, as the README's first command and the .NET tool run it: without the native pieces, its
/// managed fallbacks must do the same job.
/// </summary>
public sealed class JitBuildTests : CliTest
{
    private Command Jit(params string[] args) =>
        Program("dotnet", [TimeboxCli.JitAssembly, .. args]).WithEnvironment("LC_ALL", "C").WithTimeout(TimeSpan.FromSeconds(60));

    [Fact]
    public async Task Says_where_the_distributed_mode_comes_from_as_it_is_not_beside_a_build()
    {
        var result = await Jit("worker", "--help").RunAsync();

        Assert.Equal(125, result.ExitCode);
        Assert.Contains("distributed/timebox-distributed' is missing: it comes with a published timebox", result.Stderr.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Times_out_and_exits_124()
    {
        // sh, not the test child: a JIT-started child may take longer than the deadline to print on a loaded machine.
        var result = await Jit("1", "sh", "-c", "echo start; exec sleep 60").RunAsync();
        Assert.Equal(124, result.ExitCode);
        Assert.Equal("start\n", result.Stdout.Text);
    }

    [Fact]
    public async Task The_echo_of_its_own_signal_to_its_group_never_ends_it_after_the_run()
    {
        // timebox's kill(0, TERM) comes back to itself; under the JIT the runtime dispatches it on a thread of its own, and
        // once the handlers were gone it took the default action: exit 143 instead of 124 in about one run in six.
        var statuses = await Task.WhenAll(Enumerable.Range(0, 12).Select(async _ => (await Jit("0.3", "sleep", "10").RunAsync()).ExitCode));
        Assert.All(statuses, status => Assert.Equal(124, status));
    }

    [Fact]
    public async Task Passes_a_received_signal_on_and_dies_of_it()
    {
        using var running = Jit(Concat(["30"], ChildArgs("hold"))).Start();
        WaitForLoggedProcesses(1);
        running.Signal(15);
        var result = await running.WaitAsync();
        Assert.Equal(15, result.Signal);
    }
}
