namespace Timebox.Tests.Output;

public sealed class SpillTests : ChildTest, IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("timebox-spill-test-");

    [Fact]
    public async Task Output_past_the_threshold_moves_to_a_file_that_reads_the_same_and_vanishes_on_dispose()
    {
        var result = await Child("out", "20000000", "err", "100").WithSpill(1 << 20, _directory.FullName).RunAsync();

        Assert.True(result.Stdout.IsSpilled);
        Assert.False(result.Stderr.IsSpilled);
        Assert.Equal(20000000, result.Stdout.Length);
        Assert.Equal(StreamingTests.Pattern(0, 20000000), result.Stdout.ToArray());
        Assert.Equal(100, result.Stderr.Text.Length);
        Assert.Empty(_directory.EnumerateFileSystemInfos());
        Assert.Equal(1, OpenSpillFiles());

        result.Dispose();

        Assert.Equal(0, OpenSpillFiles());
        Assert.Throws<ObjectDisposedException>(() => result.Stdout.OpenRead());
    }

    [Fact]
    public async Task A_spilled_capture_keeps_partial_output_and_leaves_nothing_behind_after_cancellation()
    {
        using var cancel = new CancellationTokenSource();
        await using var process = Child("out", "5000000", "eprint", "written", "hold").WithStderr(OutputTarget.Pipe)
            .WithSpill(1 << 20, _directory.FullName).Start(cancel.Token);
        await foreach (var line in process.ReadLinesAsync())
            if (line.Text == "written") await cancel.CancelAsync();

        using (var result = await process.WaitAsync())
        {
            Assert.Equal(Outcome.Canceled, result.Outcome);
            Assert.True(result.Stdout.IsSpilled);
            Assert.Equal(StreamingTests.Pattern(0, 5000000), result.Stdout.ToArray());
        }

        Assert.Empty(_directory.EnumerateFileSystemInfos());
        Assert.Equal(0, OpenSpillFiles());
    }

    [Fact]
    public async Task Spilling_can_be_turned_off_and_a_missing_spill_directory_is_a_clear_error()
    {
        using var result = await Child("out", "3000000").WithSpill(null).RunAsync();
        Assert.False(result.Stdout.IsSpilled);
        Assert.Equal(3000000, result.Stdout.Length);

        var missing = Path.Combine(_directory.FullName, "missing");
        var error = Assert.Throws<OutputTargetException>(() => Child("print", "x").WithSpill(1, missing).Start());
        Assert.Equal(missing, error.Path);
        Assert.Throws<ArgumentOutOfRangeException>(() => Child("x").WithSpill(0));
    }

    // Spill files have no name; the open descriptors of this host that point into the directory are what is left of them.
    private int OpenSpillFiles() =>
        new DirectoryInfo("/proc/self/fd").EnumerateFileSystemInfos()
            .Count(fd => fd.LinkTarget is { } target && target.StartsWith(_directory.FullName + "/", StringComparison.Ordinal));

    void IDisposable.Dispose()
    {
        _directory.Delete(recursive: true);
        Dispose();
    }
}
