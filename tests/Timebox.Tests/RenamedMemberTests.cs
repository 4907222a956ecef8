namespace Timebox.Tests;

/// <summary>
/// Members renamed for one vocabulary keep their old names as obsolete aliases, so that existing callers compile and
/// read the same values: <c>Forced</c> (now <see cref="RunResult.ForcefullyKilled"/>), <c>MergeStderrIntoStdout</c>
/// (now <see cref="Command.StderrMerged"/>) and <c>InheritEnvironment</c>, whose polarity
/// <see cref="Command.EnvironmentCleared"/> reverses.
/// </summary>
#pragma warning disable CS0618 // The obsolete names are what is tested.
public sealed class RenamedMemberTests : ChildTest
{
    [Fact]
    public void The_old_switch_names_read_what_the_new_ones_say()
    {
        var plain = new Command("true");
        var changed = plain.WithStderrMerged().WithClearedEnvironment();

        Assert.False(plain.StderrMerged);
        Assert.False(plain.MergeStderrIntoStdout);
        Assert.True(changed.StderrMerged);
        Assert.True(changed.MergeStderrIntoStdout);

        Assert.False(plain.EnvironmentCleared);
        Assert.True(plain.InheritEnvironment);
        Assert.True(changed.EnvironmentCleared);
        Assert.False(changed.InheritEnvironment);
        Assert.True(changed.WithClearedEnvironment(false).InheritEnvironment);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Forced_reads_ForcefullyKilled(bool ignoreTerm)
    {
        var actions = ignoreTerm ? new[] { "ignore-term", "print", "ready", "hold" } : ["print", "ready", "hold"];
        await using var process = Child(actions).WithStdout(OutputTarget.Pipe).WithGracePeriod(TimeSpan.FromMilliseconds(200)).Start();
        using var reader = new StreamReader(process.StandardOutput!);
        Assert.Equal("ready", await reader.ReadLineAsync());

        process.Terminate();
        var result = await process.WaitAsync();

        Assert.Equal(ignoreTerm, result.ForcefullyKilled);
        Assert.Equal(ignoreTerm, result.Forced);
    }
}
