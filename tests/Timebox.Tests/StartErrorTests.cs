using Timebox.Tests.Support;

namespace Timebox.Tests;

public sealed class StartErrorTests : ChildTest
{
    [Fact]
    public async Task A_missing_program_names_the_search_path()
    {
        var error = await Assert.ThrowsAsync<ProgramNotFoundException>(() =>
            new Command("timebox-no-such-program").WithEnvironment("PATH", "/nonexistent-a:/usr/bin").RunAsync());

        Assert.Equal("timebox-no-such-program", error.Program);
        Assert.Equal(["/nonexistent-a", "/usr/bin"], error.SearchPath);
        Assert.Contains("/nonexistent-a", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_program_path_is_not_found()
    {
        var error = Assert.Throws<ProgramNotFoundException>(() => new Command("/nonexistent/tool").Run());
        Assert.Empty(error.SearchPath);
        Assert.Equal("/nonexistent/tool", error.Program);

        // A path through a file (ENOTDIR from exec) names nothing that exists either.
        var throughFile = Assert.Throws<ProgramNotFoundException>(() => new Command("/etc/passwd/tool").Run());
        Assert.Equal("/etc/passwd/tool", throughFile.Program);
    }

    [Theory]
    [InlineData("exec refuses the program")]
    [InlineData("the stdin file is missing")]
    public async Task A_start_that_fails_leaves_no_tee_file_open(string failure)
    {
        // The tee's file is opened before the redirections and the spawn, which can still fail after it.
        var directory = Directory.CreateTempSubdirectory("timebox-tee-");
        try
        {
            var copy = Path.Combine(directory.FullName, "copy.txt");
            var command = failure == "exec refuses the program"
                ? new Command(Path.Combine(directory.FullName, "no-such-program"))
                : Child("print", "x").WithStdin(StdinSource.FromFile(Path.Combine(directory.FullName, "no-such-input")));

            await Assert.ThrowsAnyAsync<CommandStartException>(() =>
                command.WithStdout(OutputTarget.Tee(OutputTarget.Capture, OutputTarget.ToFile(copy))).RunAsync());

            Assert.True(File.Exists(copy), "the tee's file was opened before the failure");
            Assert.DoesNotContain(copy, new DirectoryInfo("/proc/self/fd").EnumerateFileSystemInfos().Select(fd => fd.LinkTarget));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_file_without_execute_permission_is_not_executable()
    {
        var file = Path.GetTempFileName();
        try
        {
            var error = await Assert.ThrowsAsync<ProgramNotExecutableException>(() => new Command(file).RunAsync());
            Assert.Equal(file, error.Path);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void A_directory_is_not_executable()
    {
        var error = Assert.Throws<ProgramNotExecutableException>(() => new Command("/tmp").Run());
        Assert.Contains("directory", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_in_an_unknown_format_is_not_executable()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(file, [0x7F, (byte)'E', (byte)'L', (byte)'F', 0, 0, 0, 0]);
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserExecute);
            Assert.Throws<ProgramNotExecutableException>(() => new Command(file).Run());
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void A_bad_working_directory_is_reported_before_anything_runs()
    {
        var missing = Assert.Throws<WorkingDirectoryException>(() => Child("print", "x").WithWorkingDirectory("/nonexistent-dir").Run());
        Assert.Equal("/nonexistent-dir", missing.Directory);

        var file = Path.GetTempFileName();
        try
        {
            Assert.Throws<WorkingDirectoryException>(() => Child("print", "x").WithWorkingDirectory(file).Run());
        }
        finally
        {
            File.Delete(file);
        }
        Assert.Empty(LoggedProcesses);
    }

    [RootFact]
    public async Task A_working_directory_the_user_cannot_enter_is_named_not_the_program()
    {
        // Root enters any directory: the host runs as nobody, which cannot enter a directory of root's with mode 0700.
        // With the native shim (which reports the failed step) and without it (posix_spawn, which does not).
        // Both hosts run from copies in the temporary directory: the test's own output directory may lie under one that
        // nobody cannot traverse (a clone in a mode-0700 mktemp directory).
        var directory = Directory.CreateTempSubdirectory("timebox-noentry-").FullName;
        var withShim = Directory.CreateTempSubdirectory("timebox-shim-").FullName;
        var withoutShim = Directory.CreateTempSubdirectory("timebox-noshim-").FullName;
        try
        {
            var host = TestChild.Sibling("Timebox.FaultHost");
            string CopyHost(string into, bool shim)
            {
                foreach (var file in Directory.GetFiles(Path.GetDirectoryName(host)!).Where(f => shim || Path.GetFileName(f) != "libtimebox_spawn.so"))
                    File.Copy(file, Path.Combine(into, Path.GetFileName(file)));
                var copy = Path.Combine(into, Path.GetFileName(host));
                File.SetUnixFileMode(copy, File.GetUnixFileMode(host));
                File.SetUnixFileMode(into, (UnixFileMode)0b111_101_101);
                return copy;
            }

            foreach (var program in new[] { CopyHost(withShim, shim: true), CopyHost(withoutShim, shim: false) })
            {
                var result = await Program("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", program, "workdir", directory)
                    .WithTimeout(Generous).RunAsync();

                Assert.True(result.Succeeded, result.Stdout.Text + result.Stderr.Text);
                Assert.Equal($"workdir: WorkingDirectoryException: Working directory '{directory}' cannot be entered: Permission denied (command: true)\n", result.Stdout.Text);
            }
        }
        finally
        {
            Directory.Delete(directory);
            Directory.Delete(withShim, recursive: true);
            Directory.Delete(withoutShim, recursive: true);
        }
    }

    [Fact]
    public void A_script_whose_interpreter_is_missing_names_the_interpreter()
    {
        var script = Path.Combine(Path.GetTempPath(), $"timebox-script-{Guid.NewGuid():N}.sh");
        File.WriteAllText(script, "#! /nonexistent/timebox-shell -e\necho never\n");
        File.SetUnixFileMode(script, (UnixFileMode)0b111_101_101);
        try
        {
            var error = Assert.Throws<ProgramNotFoundException>(() => new Command(script).Run());

            // Not found, as execvp and GNU timeout say (127 from the CLI), but the script itself is there.
            Assert.Equal("/nonexistent/timebox-shell", error.Interpreter);
            Assert.Equal(script, error.Program);
            Assert.Contains("/nonexistent/timebox-shell: bad interpreter: No such file or directory", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(script);
        }
    }

    [Fact]
    public void A_command_line_too_long_for_exec_is_reported_in_words_without_the_whole_line()
    {
        var huge = new string('x', 4 << 20);

        var error = Assert.Throws<CommandStartException>(() => new Command("true", huge).Run());

        Assert.Contains("Argument list too long", error.Message, StringComparison.Ordinal);
        Assert.Contains($"({(4 << 20) + 5} bytes)", error.Message, StringComparison.Ordinal);
        Assert.True(error.Message.Length < 1500, $"{error.Message.Length} characters");
        Assert.DoesNotContain("errno", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unreadable_stdin_file_is_reported_before_anything_runs()
    {
        var error = Assert.Throws<StdinSourceException>(() => Child("echo-stdin").WithStdin(StdinSource.FromFile("/nonexistent/input")).Run());
        Assert.Equal("/nonexistent/input", error.Path);
        Assert.Empty(LoggedProcesses);
    }

    [Fact]
    public void An_unwritable_output_file_is_reported_before_anything_runs()
    {
        Assert.Throws<OutputTargetException>(() => Child("print", "x").WithStdout(OutputTarget.ToFile("/nonexistent/out")).Run());
        Assert.Empty(LoggedProcesses);
    }

    [Fact]
    public void Invalid_arguments_and_durations_are_rejected_when_the_command_is_built()
    {
        Assert.Throws<ArgumentException>(() => new Command("echo", "a\0b"));
        Assert.Throws<ArgumentException>(() => new Command("ec\0ho"));
        Assert.Throws<ArgumentException>(() => new Command(""));
        Assert.Throws<ArgumentException>(() => new Command("env").WithEnvironment("A=B", "x"));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Command("true").WithTimeout(TimeSpan.Zero));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Command("true").WithTimeout(TimeSpan.FromSeconds(-1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Command("true").WithGracePeriod(TimeSpan.FromSeconds(-1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Command("true").WithTerminationSignal(0));
        Assert.Null(new Command("true").WithTimeout(Timeout.InfiniteTimeSpan).Timeout);
    }

    [Fact]
    public void A_command_is_immutable_and_reusable()
    {
        var original = new Command("echo", "a");
        var changed = original.WithArguments("b").WithTimeout(TimeSpan.FromSeconds(1));

        Assert.Equal(["a"], original.Arguments);
        Assert.Null(original.Timeout);
        Assert.Equal("a\n", original.Run().Stdout.Text);
        Assert.Equal("a\n", original.Run().Stdout.Text);
        Assert.Equal("b\n", changed.Run().Stdout.Text);
        Assert.Equal("echo 'it'\\''s' plain", new Command("echo", "it's", "plain").ToString());
    }
}
