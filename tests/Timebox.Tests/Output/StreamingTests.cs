using System.Diagnostics;
using System.IO.Pipelines;
using System.Text;

namespace Timebox.Tests.Output;

public sealed class StreamingTests : ChildTest
{
    [Fact]
    public async Task Lines_arrive_tagged_in_arrival_order_while_the_program_runs()
    {
        await using var process = Child("print", "first", "sleep", "100", "eprint", "second", "sleep", "100", "print", "third", "sleep", "300")
            .WithStdout(OutputTarget.Pipe).WithStderr(OutputTarget.Pipe).WithTimeout(Generous).Start();

        List<OutputLine> lines = [];
        var endedBeforeFirstLine = true;
        await foreach (var line in process.ReadLinesAsync())
        {
            if (lines.Count == 0) endedBeforeFirstLine = process.HasEnded;
            lines.Add(line);
        }

        Assert.False(endedBeforeFirstLine);
        Assert.Equal(
            [new(OutputSource.Stdout, "first", LineEnding.LineFeed), new(OutputSource.Stderr, "second", LineEnding.LineFeed), new(OutputSource.Stdout, "third", LineEnding.LineFeed)],
            lines);
        Assert.Equal(Outcome.Exited, (await process.WaitAsync()).Outcome);
    }

    [Fact]
    public async Task Merged_streams_keep_the_exact_order_of_a_fast_interleaving_writer_also_when_streamed()
    {
        await using var process = Child("interleave", "20000").WithStdout(OutputTarget.Pipe).WithStderrMerged().Start();

        var lines = new List<string>();
        await foreach (var line in process.ReadLinesAsync()) lines.Add(line.Text);

        Assert.Equal(Enumerable.Range(0, 20000).SelectMany(i => new[] { $"o{i}", $"e{i}" }), lines);
    }

    [Fact]
    public async Task Line_endings_progress_updates_and_a_final_unterminated_line_are_all_delivered()
    {
        await using var process = Child("write", @"crlf\r\nprogress 1\rprogress 2\rlf\n\nlast").WithStdout(OutputTarget.Pipe).Start();

        var lines = new List<(string, LineEnding)>();
        await foreach (var line in process.ReadLinesAsync()) lines.Add((line.Text, line.Ending));

        Assert.Equal(
            [("crlf", LineEnding.CarriageReturnLineFeed), ("progress 1", LineEnding.CarriageReturn), ("progress 2", LineEnding.CarriageReturn),
             ("lf", LineEnding.LineFeed), ("", LineEnding.LineFeed), ("last", LineEnding.EndOfStream)],
            lines);
    }

    [Fact]
    public async Task Carriage_return_updates_are_observed_as_they_are_written()
    {
        await using var process = Child("progress", "5", "150", "sleep", "1500").WithStdout(OutputTarget.Pipe).Start();

        var seenWhileRunning = 0;
        await foreach (var line in process.ReadLinesAsync())
        {
            Assert.Equal(LineEnding.CarriageReturn, line.Ending);
            if (!process.HasEnded) seenWhileRunning++;
        }

        Assert.Equal(5, seenWhileRunning);
    }

    [Fact]
    public async Task Stopping_the_enumeration_early_does_not_block_the_program()
    {
        // 20 MB: far past the 1 MiB a reader may leave unread before the program blocks.
        await using var process = Child("text-out", "20000000", "print", "done").WithStdout(OutputTarget.Pipe).WithTimeout(Generous).Start();

        await foreach (var line in process.ReadLinesAsync()) break;

        var result = await process.WaitAsync();
        Assert.Equal(Outcome.Exited, result.Outcome);
    }

    [Fact]
    public async Task Chunks_carry_the_raw_bytes()
    {
        await using var process = Child("invalid-utf8", "out", "100000").WithStdout(OutputTarget.Pipe).Start();

        var bytes = new MemoryStream();
        await foreach (var chunk in process.ReadChunksAsync())
        {
            Assert.Equal(OutputSource.Stdout, chunk.Source);
            bytes.Write(chunk.Bytes.Span);
        }

        Assert.Equal(100005, bytes.Length);
        Assert.Equal(new byte[] { 0xFF, 0xFE, 0xC3, 0xA9, (byte)'\n', (byte)'a', (byte)'b' }, bytes.ToArray()[..7]);
    }

    [Fact]
    public async Task Reading_lines_without_a_piped_stream_is_refused()
    {
        await using var process = Child("print", "x").Start();

        Assert.Throws<InvalidOperationException>(() => process.ReadLinesAsync());
    }

    [Fact]
    public async Task On_timeout_the_reader_gets_every_line_written_before_the_kill_then_the_end()
    {
        await using var process = Child("lines", "1000", "20").WithStdout(OutputTarget.Pipe).WithTimeout(TimeSpan.FromSeconds(2)).WithGracePeriod(TimeSpan.Zero).Start();

        var texts = new List<string>();
        await foreach (var line in process.ReadLinesAsync()) texts.Add(line.Text);
        var result = await process.WaitAsync();

        Assert.Equal(Outcome.TimedOut, result.Outcome);
        Assert.InRange(texts.Count, 1, 100);
        Assert.Equal(Enumerable.Range(0, texts.Count).Select(i => $"line {i}"), texts);
    }

    [Fact]
    public async Task Canceling_while_streaming_ends_the_enumeration_with_what_was_written()
    {
        using var cancel = new CancellationTokenSource();
        await using var process = Child("lines", "1000", "20").WithStdout(OutputTarget.Pipe).Start(cancel.Token);

        var count = 0;
        await foreach (var line in process.ReadLinesAsync())
            if (++count == 3) await cancel.CancelAsync();
        var result = await process.WaitAsync();

        Assert.Equal(Outcome.Canceled, result.Outcome);
        Assert.InRange(count, 3, 50);
    }

    [Fact]
    public async Task Line_callbacks_and_a_capture_see_the_same_output_including_the_final_unterminated_line()
    {
        var lines = new List<string>();
        var result = await Child("print", "one", "write", "two").WithStdout(OutputTarget.Tee(OutputTarget.Capture, OutputTarget.ToLines(lines.Add))).RunAsync();

        Assert.Equal(["one", "two"], lines);
        Assert.Equal("one\ntwo", result.Stdout.Text);
    }

    [Fact]
    public async Task Asynchronous_line_callbacks_are_awaited_one_at_a_time_in_order()
    {
        var lines = new List<string>();
        var concurrent = 0;
        var result = await Child("lines", "20", "0").WithStdout(OutputTarget.ToLines(async line =>
        {
            Assert.Equal(1, Interlocked.Increment(ref concurrent));
            await Task.Delay(2);
            lines.Add(line);
            Interlocked.Decrement(ref concurrent);
        })).RunAsync();

        Assert.True(result.Succeeded);
        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"line {i}"), lines);
    }

    [Fact]
    public async Task Output_goes_to_a_stream_a_pipe_writer_and_a_file_at_once()
    {
        var directory = Directory.CreateTempSubdirectory("timebox-tee-");
        try
        {
            var file = Path.Combine(directory.FullName, "out.log");
            var stream = new MemoryStream();
            var pipe = new Pipe();
            var chunks = new List<byte>();
            var command = Child("out", "300000", "eprint", "to-stderr").WithStdout(OutputTarget.Tee(
                OutputTarget.ToStream(stream), OutputTarget.ToPipeWriter(pipe.Writer), OutputTarget.ToFile(file), OutputTarget.ToChunks(c => chunks.AddRange(c.ToArray()))));
            var piped = ReadAllAsync(pipe.Reader);

            var result = await command.RunAsync();
            await pipe.Writer.CompleteAsync();

            Assert.True(result.Succeeded);
            var expected = Pattern(0, 300000);
            Assert.Equal(expected, stream.ToArray());
            Assert.Equal(expected, await piped);
            Assert.Equal(expected, await File.ReadAllBytesAsync(file));
            Assert.Equal(expected, chunks.ToArray());
            Assert.Equal("to-stderr\n", result.Stderr.Text);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Callbacks_and_streams_get_everything_written_before_a_timeout_kill()
    {
        var lines = new List<string>();
        var copy = new MemoryStream();
        var result = await Child("lines", "1000", "20").WithStdout(OutputTarget.Tee(OutputTarget.ToLines(lines.Add), OutputTarget.ToStream(copy), OutputTarget.Capture))
            .WithTimeout(TimeSpan.FromSeconds(2)).WithGracePeriod(TimeSpan.Zero).RunAsync();

        Assert.Equal(Outcome.TimedOut, result.Outcome);
        Assert.InRange(lines.Count, 1, 200);
        Assert.Equal(Enumerable.Range(0, lines.Count).Select(i => $"line {i}"), lines);
        Assert.Equal(result.Stdout.ToArray(), copy.ToArray());
        Assert.Equal(string.Concat(lines.Select(l => l + "\n")), result.Stdout.Text);
    }

    [Fact]
    public async Task A_throwing_line_callback_fails_the_run_and_kills_the_tree()
    {
        var error = await Assert.ThrowsAsync<CommandOutputException>(() =>
            Child("print", "boom", "hold").WithStdout(OutputTarget.ToLines(_ => throw new FormatException("bad line"))).WithTimeout(Generous).RunAsync());

        Assert.IsType<FormatException>(error.InnerException);
    }

    internal static byte[] Pattern(long offset, int count)
    {
        var bytes = new byte[count];
        for (var i = 0; i < count; i++) bytes[i] = (byte)('a' + ((offset + i) % 26));
        return bytes;
    }

    private static async Task<byte[]> ReadAllAsync(PipeReader reader)
    {
        var all = new MemoryStream();
        await reader.CopyToAsync(all);
        return all.ToArray();
    }
}
