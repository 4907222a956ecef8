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
    public async Task Times_out_and_exits_124()
    {
        var result = await Jit(Concat(["1"], ChildArgs("print", "start", "hold"))).RunAsync();
        Assert.Equal(124, result.ExitCode);
        Assert.Equal("start\n", result.Stdout.Text);
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
