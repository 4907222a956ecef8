using Timebox.Tests.Support;

namespace Timebox.Tests.Output;

/// <summary>
/// A pipe that a fast writer keeps full grows to 1 MiB, so the loop takes more per wake-up; one that carries little keeps
/// the default 64 KiB. Serial: the number of grown pipes is bounded per process.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class PipeGrowthTests : ChildTest
{
    private const string Default = "65536", Grown = "1048576";

    [Theory]
    [InlineData("capture")]
    [InlineData("pipe")]
    public async Task A_pipe_the_writer_fills_grows_to_1_MiB(string target)
    {
        // One 64 KiB write fills an empty pipe at once, so the reader takes a whole pipe's worth in one wake-up.
        var command = Child("out", "65536", "await-stdout-pipe-size", Grown, "10000", "out", "100000");
        if (target == "pipe") command = command.WithStdout(OutputTarget.Pipe);
        await using var process = command.Start();
        long read = 0;
        if (process.StandardOutput is { } stdout)
        {
            var buffer = new byte[8192];
            for (int n; (n = await stdout.ReadAsync(buffer)) > 0;) read += n;
        }
        var result = await process.WaitAsync();

        Assert.Equal(Grown + "\n", result.Stderr.Text);
        Assert.Equal(165536, target == "pipe" ? read : result.Stdout.Length);
    }

    [Fact]
    public async Task A_pipe_that_carries_little_keeps_its_default_size()
    {
        var result = await Child("out", "60000", "await-stdout-pipe-size", Grown, "300").RunAsync();

        Assert.Equal(Default + "\n", result.Stderr.Text);
        Assert.Equal(60000, result.Stdout.Length);
    }
}
