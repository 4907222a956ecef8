using Timebox.Tests.Support;

namespace Timebox.Tests;

public sealed class KillOnParentExitTests : ChildTest
{
    [Fact]
    public async Task A_host_killed_with_sigkill_leaves_no_survivor_of_its_command_tree()
    {
        // The host starts `spawn same-group [ hold ] print ready hold` with WithKillOnParentExit() from a thread that
        // ends at once, and says "running" only once that thread is gone and the command still runs.
        await using var host = Program(TestChild.Sibling("Timebox.ParentExitHost"), TestChild.Path)
            .WithStdout(OutputTarget.Pipe).WithTimeout(TimeSpan.FromSeconds(60)).Start();
        using var reader = new StreamReader(host.StandardOutput!);
        var line = await reader.ReadLineAsync();
        Assert.StartsWith("running ", line, StringComparison.Ordinal);
        WaitForLoggedProcesses(2);
        Assert.All(LoggedProcesses, p => Assert.True(Proc.IsSameAndAlive(p.Pid, p.StartTime)));

        host.Signal(Signals.Kill);
        var result = await host.WaitAsync();

        Assert.Equal(Outcome.Signaled, result.Outcome);
        Assert.Equal(Signals.Kill, result.Signal);
        // Dispose proves that the command and its grandchild in the same group are gone (within its settle time).
    }

    [Fact]
    public async Task While_the_host_lives_a_command_that_dies_with_it_runs_and_times_out_as_usual()
    {
        var done = await Child("print", "fine").WithKillOnParentExit().WithTimeout(Generous).RunAsync();
        var timedOut = await Child("spawn", "same-group", "[", "hold", "]", "hold").WithKillOnParentExit()
            .WithTimeout(TimeSpan.FromMilliseconds(500)).WithGracePeriod(TimeSpan.FromMilliseconds(200)).RunAsync();

        Assert.True(done.Succeeded);
        Assert.Equal("fine\n", done.Stdout.Text);
        Assert.Equal(Outcome.TimedOut, timedOut.Outcome);
    }

    [Fact]
    public async Task Without_the_native_shim_limits_and_kill_on_parent_exit_are_refused_rather_than_ignored()
    {
        // A copy of a host program's directory without the shim: the library falls back to posix_spawn there.
        var source = Path.GetDirectoryName(TestChild.Sibling("Timebox.ParentExitHost"))!;
        var copy = Directory.CreateTempSubdirectory("timebox-noshim-").FullName;
        try
        {
            foreach (var file in Directory.GetFiles(source).Where(f => Path.GetFileName(f) != "libtimebox_spawn.so"))
                File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
            File.SetUnixFileMode(Path.Combine(copy, "Timebox.ParentExitHost"), File.GetUnixFileMode(TestChild.Sibling("Timebox.ParentExitHost")));

            var result = await Program(Path.Combine(copy, "Timebox.ParentExitHost"), "--without-shim", TestChild.Path).WithTimeout(Generous).RunAsync();

            Assert.True(result.Succeeded, result.Stdout.Text + result.Stderr.Text);
            Assert.Equal("refused Limits\nrefused KillOnParentExit\n", result.Stdout.Text);
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }
}
