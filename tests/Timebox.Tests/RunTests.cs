namespace Timebox.Tests;

public sealed class RunTests : ChildTest
{
    [Fact]
    public async Task Exit_code_and_separate_streams_are_reported()
    {
        var result = await Child("print", "hello", "eprint", "oops", "exit", "3").RunAsync();

        Assert.Equal(Outcome.Exited, result.Outcome);
        Assert.Equal(3, result.ExitCode);
        Assert.Null(result.Signal);
        Assert.Equal("hello\n", result.Stdout.Text);
        Assert.Equal("oops\n", result.Stderr.Text);
        Assert.False(result.Succeeded);
        Assert.False(result.ForcefullyKilled);
        Assert.True(result.ProcessId > 0);
        Assert.InRange(result.StartedAt, DateTimeOffset.UtcNow - Generous, DateTimeOffset.UtcNow);
    }

    [Fact]
    public void Synchronous_run_returns_the_same_result()
    {
        var result = Child("print", "sync").Run();

        Assert.True(result.Succeeded);
        Assert.Equal("sync\n", result.Stdout.Text);
    }

    [Fact]
    public async Task A_program_killed_by_a_signal_reports_the_signal()
    {
        var result = await Child("print", "before", "kill-self", "9").RunAsync();

        Assert.Equal(Outcome.Signaled, result.Outcome);
        Assert.Equal(9, result.Signal);
        Assert.Null(result.ExitCode);
        Assert.Equal("before\n", result.Stdout.Text);
    }

    [Fact]
    public async Task Merged_output_keeps_the_order_the_program_wrote_in()
    {
        var result = await Child("interleave", "200").WithStderrMerged().RunAsync();

        var expected = string.Concat(Enumerable.Range(0, 200).Select(i => $"o{i}\ne{i}\n"));
        Assert.Equal(expected, result.Stdout.Text);
        Assert.Equal(0, result.Stderr.Length);
    }

    [Fact]
    public async Task A_utf8_character_split_across_writes_is_decoded_whole_and_invalid_bytes_do_not_throw()
    {
        var result = await Child("invalid-utf8").RunAsync();

        Assert.Equal("\uFFFD\uFFFDé\n", result.Stdout.Text);
        Assert.Equal(new byte[] { 0xFF, 0xFE, 0xC3, 0xA9, (byte)'\n' }, result.Stdout.ToArray());
    }

    [Fact]
    public async Task Environment_can_be_added_removed_and_cleared()
    {
        var added = await Child("print-env", "TIMEBOX_X").WithEnvironment("TIMEBOX_X", "42").RunAsync();
        var removed = await Child("print-env", "HOME").WithEnvironment("HOME", null).RunAsync();
        var cleared = await Child("print-env", "HOME", "print-env", "ONLY").WithClearedEnvironment().WithEnvironment("ONLY", "me").RunAsync();

        Assert.Equal("42\n", added.Stdout.Text);
        Assert.Equal("<unset>\n", removed.Stdout.Text);
        Assert.Equal("<unset>\nme\n", cleared.Stdout.Text);
    }

    [Fact]
    public async Task Each_run_sees_the_host_environment_as_it_is_at_the_start()
    {
        // Environment.SetEnvironmentVariable changes only .NET's copy of the environment, not the C one; runs must see it,
        // and a run after the change must not reuse what an earlier run was given.
        const string name = "TIMEBOX_TEST_HOST_VARIABLE";
        try
        {
            Environment.SetEnvironmentVariable(name, "one");
            var first = await Child("print-env", name).RunAsync();
            var again = await Child("print-env", name).RunAsync();
            Environment.SetEnvironmentVariable(name, "twó");
            var changed = Child("print-env", name).Run();
            var overridden = await Child("print-env", name).WithEnvironment(name, "three").RunAsync();
            Environment.SetEnvironmentVariable(name, null);
            var removed = await Child("print-env", name).RunAsync();

            Assert.Equal("one\n", first.Stdout.Text);
            Assert.Equal("one\n", again.Stdout.Text);
            Assert.Equal("twó\n", changed.Stdout.Text);
            Assert.Equal("three\n", overridden.Stdout.Text);
            Assert.Equal("<unset>\n", removed.Stdout.Text);
        }
        finally
        {
            Environment.SetEnvironmentVariable(name, null);
        }
    }

    [Fact]
    public async Task An_async_run_gets_the_environment_as_it_was_when_it_was_called()
    {
        // RunAsync spawns on a thread-pool thread when the pool has work waiting; what it reads from the host must still be
        // read at the call, so a change the caller makes right after the call does not reach the child. Work items that
        // hold every pool thread keep the spawns queued until the variable has changed.
        const string name = "TIMEBOX_TEST_CALL_TIME_VARIABLE";
        using var hold = new ManualResetEventSlim();
        var holders = Enumerable.Range(0, ThreadPool.ThreadCount + (4 * Environment.ProcessorCount)).Select(_ => Task.Run(hold.Wait)).ToList();
        try
        {
            var runs = new List<Task<RunResult>>();
            for (var i = 0; i < 10; i++)
            {
                Environment.SetEnvironmentVariable(name, $"at call {i}");
                runs.Add(Child("print-env", name).RunAsync());
                Environment.SetEnvironmentVariable(name, "changed after the call");
            }
            hold.Set();
            var results = await Task.WhenAll(runs);

            Assert.Equal(Enumerable.Range(0, 10).Select(i => $"at call {i}\n"), results.Select(result => result.Stdout.Text));
        }
        finally
        {
            hold.Set();
            await Task.WhenAll(holders);
            Environment.SetEnvironmentVariable(name, null);
        }
    }

    [Fact]
    public async Task Working_directory_is_used_and_relative_programs_resolve_against_it()
    {
        var directory = Directory.CreateTempSubdirectory("timebox-cwd-");
        try
        {
            var script = Path.Combine(directory.FullName, "hello.sh");
            await File.WriteAllTextAsync(script, "#!/bin/sh\necho \"$PWD\"\n");
            File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.UserWrite);

            var cwd = await Child("print-cwd").WithWorkingDirectory(directory.FullName).RunAsync();
            var relative = await new Command("./hello.sh").WithWorkingDirectory(directory.FullName).RunAsync();

            Assert.Equal(directory.FullName + "\n", cwd.Stdout.Text);
            Assert.Equal(directory.FullName + "\n", relative.Stdout.Text);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Stdin_sources_reach_the_program()
    {
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(file, "from a file");
            var text = await Child("echo-stdin").WithStdin(StdinSource.FromString("héllo")).RunAsync();
            var bytes = await Child("count-stdin").WithStdin(StdinSource.FromBytes(new byte[300_000])).RunAsync();
            var stream = await Child("echo-stdin").WithStdin(StdinSource.FromStream(new MemoryStream("streamed"u8.ToArray()))).RunAsync();
            var fromFile = await Child("echo-stdin").WithStdin(StdinSource.FromFile(file)).RunAsync();
            var empty = await Child("count-stdin").RunAsync();

            Assert.Equal("héllo", text.Stdout.Text);
            Assert.Equal("300000\n", bytes.Stdout.Text);
            Assert.Equal("streamed", stream.Stdout.Text);
            Assert.Equal("from a file", fromFile.Stdout.Text);
            Assert.Equal("0\n", empty.Stdout.Text);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Output_can_go_to_a_file_a_stream_or_nowhere()
    {
        var file = Path.GetTempFileName();
        try
        {
            using var sink = new MemoryStream();
            await Child("out", "100000").WithStdout(OutputTarget.ToFile(file)).RunAsync();
            var streamed = await Child("out", "70000", "err", "5").WithStdout(OutputTarget.ToStream(sink)).WithStderr(OutputTarget.Discard).RunAsync();

            Assert.Equal(100_000, new FileInfo(file).Length);
            Assert.Equal(70_000, sink.Length);
            Assert.Equal(0, streamed.Stdout.Length);
            Assert.Equal(0, streamed.Stderr.Length);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task A_program_that_stops_reading_stdin_does_not_break_the_run()
    {
        var result = await Child("print", "ignored stdin").WithStdin(StdinSource.FromBytes(new byte[10_000_000])).RunAsync();

        Assert.True(result.Succeeded);
    }

    [Fact]
    public async Task Huge_durations_mean_never_not_at_once()
    {
        var result = await Child("print", "patient").WithTimeout(TimeSpan.MaxValue).WithDrainTimeout(TimeSpan.MaxValue).RunAsync();

        Assert.Equal(Outcome.Exited, result.Outcome);
        Assert.Equal("patient\n", result.Stdout.Text);
    }

    [Fact]
    public async Task A_failing_target_stream_fails_the_run_instead_of_hanging_it()
    {
        var broken = new BrokenStream();
        var error = await Assert.ThrowsAsync<CommandOutputException>(() =>
            Child("out", "100000", "hold").WithStdout(OutputTarget.ToStream(broken)).WithTimeout(TimeSpan.FromSeconds(30)).RunAsync());

        Assert.IsType<InvalidOperationException>(error.InnerException);
        Assert.Contains("Could not deliver stdout to its target: disk full, say", error.Message, StringComparison.Ordinal);
        // The program holds on after writing, so the failure always finds it running: an exit first would be Exited.
        Assert.Equal(Outcome.OutputFailed, error.Result.Outcome);
        Assert.True(error.Result.Duration < TimeSpan.FromSeconds(20), $"took {error.Result.Duration}");
    }

    private sealed class BrokenStream : MemoryStream
    {
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("disk full, say");

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("disk full, say");
    }
}
