using System.Diagnostics;
using Timebox.Tests.Support;

namespace Timebox.Tests.Output;

/// <summary>
/// Real faults under the output: a tiny tmpfs that fills up, a read-only one, /dev/full. Each run must end on its own,
/// long before its deadline, with a clear error that carries everything captured, nothing of its tree alive or stopped
/// (<see cref="ChildTest"/>), no file left open in the file system (it unmounts), and the host's stdio untouched.
/// </summary>
public sealed class OutputFaultTests : ChildTest, IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(1);

    private readonly HostStdio _stdio = new();
    private readonly DirectoryInfo _scratch = Directory.CreateTempSubdirectory("timebox-output-fault-");

    [RootTheory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public async Task A_spill_that_fills_the_disk_kills_the_tree_at_once_and_keeps_every_byte_read(bool blocking, bool capped)
    {
        using var disk = new TmpfsMount("64k");
        var command = Child("out", "4000000", "hold").WithTimeout(Deadline).WithGracePeriod(Grace).WithSpill(16 << 10, disk.Path);
        if (capped) command = command.WithStdout(OutputTarget.CaptureWithLimit(100 << 20));

        var clock = Stopwatch.StartNew();
        var error = blocking
            ? Assert.Throws<CommandOutputException>(() => command.Run())
            : await Assert.ThrowsAsync<CommandOutputException>(() => command.RunAsync());
        var elapsed = clock.Elapsed;

        using (var result = error.Result)
        {
            Assert.Contains($"Could not spill stdout to '{disk.Path}': No space left on device", error.Message, StringComparison.Ordinal);
            Assert.IsAssignableFrom<IOException>(error);
            Assert.Equal("No space left on device", error.InnerException!.Message);
            Assert.Equal(Outcome.OutputFailed, result.Outcome);
            Assert.Equal(Signals.Kill, result.Signal);
            // More than the disk could take: the file holds the first part, memory the rest, in order.
            var kept = result.Stdout.ToArray();
            Assert.True(kept.Length > 64 << 10, $"only {kept.Length} bytes kept");
            Assert.Equal(StreamingTests.Pattern(0, kept.Length), kept);
            Assert.Equal(result.Stdout.TotalBytes, result.Stdout.Length);
            Assert.True(result.Stdout.IsSpilled);
            Assert.Equal(1, disk.OpenDescriptors());
        }
        Assert.Equal(0, disk.OpenDescriptors());
        Assert.True(elapsed < Deadline, $"returned after {elapsed.TotalMilliseconds:0} ms, not before the {Deadline} deadline");
        Assert.Null(disk.TryUnmount());
        _stdio.AssertUnchanged();
    }

    [RootFact]
    public async Task A_spill_file_that_cannot_be_created_mid_run_ends_the_run_with_the_output_kept_in_memory()
    {
        using var disk = new TmpfsMount("1m");
        var process = Child("echo-stdin").WithStdin(StdinSource.Pipe).WithSpill(64 << 10, disk.Path).WithTimeout(Deadline).Start();
        var sent = StreamingTests.Pattern(0, 256 << 10);
        try
        {
            disk.RemountReadOnly();
            await process.StandardInput!.WriteAsync(sent);
            await process.StandardInput.DisposeAsync();
        }
        catch (IOException)
        {
            // The run killed the program while we were still writing to it: what it echoed before is what counts.
        }
        finally
        {
            process.Kill();
        }

        var error = await Assert.ThrowsAsync<CommandOutputException>(() => process.Completion);
        using (var result = error.Result)
        {
            Assert.Contains("Read-only file system", error.Message, StringComparison.Ordinal);
            Assert.Equal(Outcome.OutputFailed, result.Outcome);
            Assert.False(result.Stdout.IsSpilled);
            var kept = result.Stdout.ToArray();
            Assert.True(kept.Length >= 64 << 10, $"only {kept.Length} bytes kept");
            Assert.Equal(sent[..kept.Length], kept);
        }
        Assert.Equal(0, disk.OpenDescriptors());
        Assert.Null(disk.TryUnmount());
        _stdio.AssertUnchanged();
    }

    [RootFact]
    public void A_spill_directory_on_a_read_only_file_system_fails_the_start_in_the_systems_words()
    {
        using var disk = new TmpfsMount("64k", readOnly: true);
        var marker = Path.Combine(_scratch.FullName, "started");

        var error = Assert.Throws<OutputTargetException>(() => Child("write-file", marker, "1").WithSpill(1 << 20, disk.Path).Start());

        Assert.Equal(disk.Path, error.Path);
        Assert.Contains($"Cannot create spill files in '{disk.Path}': Read-only file system", error.Message, StringComparison.Ordinal);
        Assert.Empty(LoggedProcesses);
        Assert.False(File.Exists(marker));
        Assert.Null(disk.TryUnmount());
        _stdio.AssertUnchanged();
    }

    [Fact]
    public void A_spill_directory_that_is_a_regular_file_is_reported_as_not_a_directory()
    {
        var file = Path.Combine(_scratch.FullName, "file");
        File.WriteAllBytes(file, []);

        var error = Assert.Throws<OutputTargetException>(() => Child("print", "x").WithSpill(1, file).Start());

        Assert.Equal(file, error.Path);
        Assert.Contains($"Spill directory '{file}' is not a directory", error.Message, StringComparison.Ordinal);
        Assert.Empty(LoggedProcesses);
    }

    [Fact]
    public async Task A_stream_target_on_dev_full_ends_the_run_with_the_capture_in_the_exception()
    {
        await using var full = new FileStream("/dev/full", FileMode.Open, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0);
        var command = Child("out", "300000", "hold").WithTimeout(Deadline).WithGracePeriod(Grace)
            .WithStdout(OutputTarget.Tee(OutputTarget.Capture, OutputTarget.ToStream(full)));

        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<CommandOutputException>(() => command.RunAsync());
        var elapsed = clock.Elapsed;

        using (var result = error.Result)
        {
            Assert.Contains("Could not deliver stdout to its target: No space left on device", error.Message, StringComparison.Ordinal);
            Assert.Equal(Outcome.OutputFailed, result.Outcome);
            Assert.Equal(Signals.Kill, result.Signal);
            var kept = result.Stdout.ToArray();
            Assert.NotEmpty(kept);
            Assert.Equal(StreamingTests.Pattern(0, kept.Length), kept);
        }
        Assert.True(elapsed < Deadline, $"returned after {elapsed.TotalMilliseconds:0} ms, not before the {Deadline} deadline");
        _stdio.AssertUnchanged();
    }

    [RootFact]
    public async Task A_tee_file_on_a_full_disk_ends_the_run_and_is_closed()
    {
        using var disk = new TmpfsMount("64k");
        var command = Child("out", "1000000", "hold").WithTimeout(Deadline).WithGracePeriod(Grace)
            .WithStdout(OutputTarget.Tee(OutputTarget.Capture, OutputTarget.ToFile(Path.Combine(disk.Path, "out.log"))));

        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<CommandOutputException>(() => command.RunAsync());
        var elapsed = clock.Elapsed;
        // Checked at once: a file left open would otherwise be closed by its finalizer sooner or later.
        Assert.Equal(0, disk.OpenDescriptors());

        using (var result = error.Result)
        {
            Assert.Contains("No space left on device", error.Message, StringComparison.Ordinal);
            Assert.Equal(Outcome.OutputFailed, result.Outcome);
            var kept = result.Stdout.ToArray();
            Assert.True(kept.Length > 64 << 10, $"only {kept.Length} bytes kept");
            Assert.Equal(StreamingTests.Pattern(0, kept.Length), kept);
        }
        Assert.True(elapsed < Deadline, $"returned after {elapsed.TotalMilliseconds:0} ms, not before the {Deadline} deadline");
        Assert.Null(disk.TryUnmount());
        _stdio.AssertUnchanged();
    }

    void IDisposable.Dispose()
    {
        _scratch.Delete(recursive: true);
        Dispose();
    }
}
