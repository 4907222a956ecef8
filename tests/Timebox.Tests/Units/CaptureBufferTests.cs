using System.Text;
using Timebox.Output;
using Timebox.Platform.Unix;

namespace Timebox.Tests.Units;

/// <summary>
/// <see cref="CaptureBuffer"/> fed as a pipe reader feeds it (read into <see cref="CaptureBuffer.GetSpan"/>, then
/// <see cref="CaptureBuffer.Advance"/>): what it keeps (everything, or head and tail past a limit), the flags it reports,
/// its chunking and spilling, and what it does when the spill directory takes no file.
/// </summary>
[Trait("Category", "Unit")]
public sealed class CaptureBufferTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("timebox-unit-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    // head/tail -1: no limit. Each row writes `total` pattern bytes in writes of `write` bytes.
    [Theory]
    [InlineData(-1, -1, 0, 1)]
    [InlineData(-1, -1, 1, 1)]
    [InlineData(-1, -1, 4096, 4096)]
    [InlineData(-1, -1, 4097, 100)]
    [InlineData(-1, -1, 3_000_000, 65_536)]
    [InlineData(10, 0, 5, 1)]
    [InlineData(10, 0, 10, 3)]
    [InlineData(10, 0, 11, 3)]
    [InlineData(10, 5, 15, 4)]
    [InlineData(10, 5, 16, 4)]
    [InlineData(10, 5, 1000, 1000)]
    [InlineData(0, 5, 100, 7)]
    [InlineData(0, 0, 100, 7)]
    [InlineData(4096, 1, 10_000, 1)]
    [InlineData(1, 65_537, 200_000, 65_536)]
    [InlineData(100_000, 70_000, 5_000_000, 65_536)]
    [InlineData(100_000, 70_000, 5_000_000, 333)]
    public void Keeps_everything_or_the_head_and_the_tail_and_counts_every_byte(long head, long tail, int total, int write)
    {
        var limit = head < 0 ? null : new CaptureLimit(head, tail, OutputLimitAction.KeepRunning);
        var capture = new CaptureBuffer(limit, spillThreshold: null, _directory, UnixSpillFiles.Instance, OutputSource.Stdout);
        var bytes = Pattern(total);
        Write(capture, bytes, write);

        var kept = limit is null || total <= limit.MaxBytes ? bytes : [.. bytes.AsSpan(0, (int)head), .. bytes.AsSpan(total - (int)tail)];
        Assert.Equal(total, capture.Total);
        Assert.Equal(limit is not null && total > limit.MaxBytes, capture.LimitExceeded);
        Assert.Null(capture.SpillFailure);
        using var output = new CapturedOutput(capture.TakeContent(), Encoding.UTF8);
        Assert.Equal(kept, output.ToArray());
        Assert.Equal(total, output.TotalBytes);
        Assert.Equal(total - kept.Length, output.DroppedBytes);
        Assert.Equal(kept.Length != total, output.IsTruncated);
        Assert.Equal(output.IsTruncated ? head : kept.Length, output.HeadLength);
        Assert.False(output.IsSpilled);
    }

    [Theory]
    [InlineData(OutputLimitAction.KeepRunning)]
    [InlineData(OutputLimitAction.Terminate)]
    public void Reports_the_action_of_its_limit(OutputLimitAction action) =>
        Assert.Equal(action, new CaptureBuffer(new CaptureLimit(1, 1, action), null, _directory, UnixSpillFiles.Instance, OutputSource.Stdout).LimitAction);

    [Fact]
    public void Without_a_limit_there_is_no_action_and_nothing_exceeds()
    {
        var capture = new CaptureBuffer(null, null, _directory, UnixSpillFiles.Instance, OutputSource.Stdout);
        Write(capture, Pattern(100_000), 65_536);
        Assert.Null(capture.LimitAction);
        Assert.False(capture.LimitExceeded);
    }

    [Fact]
    public void Memory_is_held_in_chunks_growing_from_4_KiB_to_1_MiB_never_in_one_array()
    {
        var capture = new CaptureBuffer(null, null, _directory, UnixSpillFiles.Instance, OutputSource.Stdout);
        var bytes = Pattern(8 << 20);
        Write(capture, bytes, 65_536);
        var content = capture.TakeContent();
        Assert.Equal(4096, content.Chunks[0].Length);
        Assert.Equal(1 << 20, content.Chunks.Max(c => c.Length));
        // The last chunk is cut to what it holds.
        Assert.All(content.Chunks.SkipLast(1).Zip(content.Chunks.Skip(1).SkipLast(1)), pair => Assert.True(pair.Second.Length >= pair.First.Length));
        using var output = new CapturedOutput(content, Encoding.UTF8);
        Assert.Equal(bytes, output.ToArray());
    }

    [Fact]
    public void Taking_the_content_hands_over_what_was_kept_once()
    {
        var capture = new CaptureBuffer(null, 1, _directory, UnixSpillFiles.Instance, OutputSource.Stdout);
        Write(capture, Pattern(10), 10);
        using var first = new CapturedOutput(capture.TakeContent(), Encoding.UTF8);
        var second = capture.TakeContent();
        Assert.Equal(10, first.Length);
        Assert.Null(second.File);
        Assert.Empty(second.Chunks);
    }

    // threshold: bytes in memory that make the capture move to a file; the head of a limit counts, the tail never spills.
    [Theory]
    [InlineData(1, 1, -1, -1, true)]
    [InlineData(4096, 4095, -1, -1, false)]
    [InlineData(4096, 4096, -1, -1, true)]
    [InlineData(1 << 20, (3 << 20) + 17, -1, -1, true)]
    [InlineData(5000, 100_000, 10_000, 100, true)]
    [InlineData(5000, 100_000, 4000, 90_000, false)]
    [InlineData(5000, 100_000, 0, 100_000, false)]
    public void Past_its_threshold_it_spills_to_a_file_and_keeps_the_same_bytes(long threshold, int total, long head, long tail, bool spills)
    {
        var limit = head < 0 ? null : new CaptureLimit(head, tail, OutputLimitAction.KeepRunning);
        var capture = new CaptureBuffer(limit, threshold, _directory, UnixSpillFiles.Instance, OutputSource.Stdout);
        var bytes = Pattern(total);
        Write(capture, bytes, 65_536);

        var kept = limit is null || total <= limit.MaxBytes ? bytes : [.. bytes.AsSpan(0, (int)head), .. bytes.AsSpan(total - (int)tail)];
        Assert.Null(capture.SpillFailure);
        using var output = new CapturedOutput(capture.TakeContent(), Encoding.UTF8);
        Assert.Equal(spills, output.IsSpilled);
        Assert.Equal(kept, output.ToArray());
        Assert.Empty(Directory.EnumerateFileSystemEntries(_directory));
    }

    [Theory]
    [InlineData(OutputSource.Stdout, "stdout")]
    [InlineData(OutputSource.Stderr, "stderr")]
    public void A_directory_that_takes_no_file_is_reported_and_nothing_is_lost(OutputSource source, string name)
    {
        var missing = Path.Combine(_directory, "missing");
        var capture = new CaptureBuffer(null, 4096, missing, UnixSpillFiles.Instance, source);
        var bytes = Pattern(100_000);
        Write(capture, bytes, 1000);

        var failure = Assert.IsType<IOException>(capture.SpillFailure);
        Assert.StartsWith($"Could not spill {name} to '{missing}': ", failure.Message, StringComparison.Ordinal);
        Assert.NotNull(failure.InnerException);
        using var output = new CapturedOutput(capture.TakeContent(), Encoding.UTF8);
        Assert.False(output.IsSpilled);
        Assert.Equal(bytes, output.ToArray());
    }

    [Fact]
    public void A_file_in_place_of_the_directory_is_a_spill_failure_too()
    {
        var file = Path.Combine(_directory, "file");
        File.WriteAllText(file, "");
        var capture = new CaptureBuffer(new CaptureLimit(50_000, 10, OutputLimitAction.KeepRunning), 1, file, UnixSpillFiles.Instance, OutputSource.Stdout);
        var bytes = Pattern(60_000);
        Write(capture, bytes, 4096);
        Assert.NotNull(capture.SpillFailure);
        Assert.True(capture.LimitExceeded);
        using var output = new CapturedOutput(capture.TakeContent(), Encoding.UTF8);
        Assert.Equal([.. bytes.AsSpan(0, 50_000), .. bytes.AsSpan(60_000 - 10)], output.ToArray());
    }

    // Each write fills what the span offers, as many reads of one pipe event do.
    private static void Write(CaptureBuffer capture, byte[] bytes, int writeSize)
    {
        for (var offset = 0; offset < bytes.Length;)
        {
            var span = capture.GetSpan();
            Assert.False(span.IsEmpty);
            var count = Math.Min(Math.Min(span.Length, writeSize), bytes.Length - offset);
            bytes.AsSpan(offset, count).CopyTo(span);
            capture.Advance(count);
            offset += count;
        }
    }

    // A period (251) that no chunk or buffer size divides, so a byte in the wrong place shows.
    private static byte[] Pattern(int length)
    {
        var bytes = new byte[length];
        for (var i = 0; i < length; i++) bytes[i] = (byte)(i % 251);
        return bytes;
    }
}
