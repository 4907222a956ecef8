using Timebox.Tests.Support;

namespace Timebox.Tests.Cli;

/// <summary>
/// Every case here runs against the published timebox and against the system's GNU timeout, and expects the same
/// result from both: exit statuses, option parsing, durations, signals and messages.
/// </summary>
public sealed class GnuCompatibilityTests : CliTest
{
    [Theory, MemberData(nameof(BothTools))]
    public async Task Exits_with_the_status_of_a_command_that_ends_in_time(string tool)
    {
        var result = await RunTool(tool, Concat(["5"], ChildArgs("exit", "3")));
        Assert.Equal(3, result.ExitCode);
    }

    [Theory, MemberData(nameof(BothTools))]
    public async Task Exits_124_when_the_command_times_out(string tool)
    {
        var result = await RunTool(tool, Concat(["0.5"], ChildArgs("hold")));
        Assert.Equal(124, result.ExitCode);
        Assert.True(result.Duration < Generous, $"took {result.Duration}");
    }

    [Theory]
    [InlineData("timebox", "--preserve-status")]
    [InlineData("timeout", "--preserve-status")]
    [InlineData("timebox", "--pres")]
    [InlineData("timeout", "--pres")]
    public async Task Preserve_status_exits_with_the_status_of_the_killed_command(string tool, string option)
    {
        var result = await RunTool(tool, Concat([option, "0.5"], ChildArgs("hold")));
        Assert.Equal(128 + 15, result.ExitCode);
    }

    [Theory, MemberData(nameof(BothTools))]
    public async Task Timeout_with_KILL_ends_with_status_137(string tool)
    {
        var result = await RunTool(tool, Concat(["-s", "KILL", "0.5"], ChildArgs("hold")));
        Assert.Equal(137, ShellStatus(result));
    }

    [Theory]
    [InlineData("timebox", "-k", "0.5")]
    [InlineData("timeout", "-k", "0.5")]
    [InlineData("timebox", "-k0.5", null)]
    [InlineData("timeout", "-k0.5", null)]
    [InlineData("timebox", "--kill-after=0.5", null)]
    [InlineData("timeout", "--kill-after=0.5", null)]
    public async Task Kill_after_escalates_to_SIGKILL_when_the_signal_is_ignored(string tool, string option, string? value)
    {
        string[] options = value is null ? [option] : [option, value];
        // The command must have ignored TERM before the deadline: 2 s leave room for a .NET start-up on a loaded machine.
        var result = await RunTool(tool, Concat([.. options, "2"], ChildArgs("ignore-term", "hold")));
        // GNU timeout sends SIGKILL to its whole process group, itself included, and timebox dies of it the same way.
        Assert.Equal(137, ShellStatus(result));
        Assert.True(result.Duration < Generous, $"took {result.Duration}");
    }

    [Theory, MemberData(nameof(BothTools))]
    public async Task A_command_killed_by_a_signal_is_passed_on_by_dying_of_the_same_signal(string tool)
    {
        var result = await RunTool(tool, Concat(["5"], ChildArgs("kill-self", "10")));
        Assert.Equal(Outcome.Signaled, result.Outcome);
        Assert.Equal(10, result.Signal);
    }

    [Theory, MemberData(nameof(BothTools))]
    public async Task A_missing_command_exits_127(string tool)
    {
        var result = await RunTool(tool, "5", "/nonexistent/program");
        Assert.Equal(127, result.ExitCode);
        Assert.Equal("TOOL: failed to run command '/nonexistent/program': No such file or directory\n", Diagnostics(result, tool));
    }

    [Theory, MemberData(nameof(BothTools))]
    public async Task An_empty_command_name_is_not_found(string tool)
    {
        var result = await RunTool(tool, "5", "");
        Assert.Equal(127, result.ExitCode);
        Assert.Equal("TOOL: failed to run command '': No such file or directory\n", Diagnostics(result, tool));
    }

    [Theory, MemberData(nameof(BothTools))]
    public async Task A_directory_found_on_the_path_cannot_be_invoked(string tool)
    {
        var result = await RunTool(tool, "5", ".");
        Assert.Equal(126, result.ExitCode);
        Assert.Equal("TOOL: failed to run command '.': Permission denied\n", Diagnostics(result, tool));
    }

    [Theory, MemberData(nameof(BothTools))]
    public async Task A_write_error_on_help_exits_125(string tool)
    {
        var result = await Program("sh", "-c", $"exec {PathOf(tool)} --help > /dev/full").WithEnvironment("LC_ALL", "C").RunAsync();
        Assert.Equal(125, result.ExitCode);
        Assert.Equal("TOOL: write error: No space left on device\n", Diagnostics(result, tool));
    }

    [Theory, MemberData(nameof(BothTools))]
    public async Task SIGALRM_sent_to_the_tool_times_the_command_out(string tool)
    {
        var result = await SignalToolAsync(tool, 14, 1, "hold");
        Assert.Equal(124, result.ExitCode);
    }

    [Theory, MemberData(nameof(BothTools))]
    public async Task Works_when_started_with_SIGCHLD_ignored_and_a_child_it_did_not_start(string tool)
    {
        var result = await Program("sh", "-c", $"trap '' CHLD; sleep 0.1 & exec {PathOf(tool)} 5 {TestChild.Path} exit 6").RunAsync();
        Assert.Equal(6, result.ExitCode);
    }

    [Theory, MemberData(nameof(BothTools))]
    public async Task An_executable_script_without_a_shebang_runs_in_sh(string tool)
    {
        // execvp runs a file in no format exec knows with /bin/sh, the file's path first, then its arguments.
        var directory = Directory.CreateTempSubdirectory("timebox-script-");
        try
        {
            var script = Path.Combine(directory.FullName, "greet");
            File.WriteAllText(script, "echo \"hello $1 from $0\"\nexit 7\n");
            File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

            var result = await RunTool(tool, "5", script, "there");

            Assert.Equal(7, result.ExitCode);
            Assert.Equal($"hello there from {script}\n", result.Stdout.Text);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Theory, MemberData(nameof(BothTools))]
    public async Task A_command_that_cannot_be_executed_exits_126(string tool)
    {
        var file = Path.GetTempFileName();
        try
        {
            var result = await RunTool(tool, "5", file);
            Assert.Equal(126, result.ExitCode);
            Assert.Equal($"TOOL: failed to run command '{file}': Permission denied\n", Diagnostics(result, tool));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory, MemberData(nameof(BothTools))]
    public async Task Options_end_at_the_duration_so_the_command_keeps_its_own(string tool)
    {
        var result = await RunTool(tool, Concat(["5"], ChildArgs("print", "-l")));
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("-l\n", result.Stdout.Text);
    }

    [Theory, MemberData(nameof(BothTools))]
    public async Task Double_dash_ends_the_options(string tool)
    {
        var result = await RunTool(tool, Concat(["-v", "--", "5"], ChildArgs("exit", "4")));
        Assert.Equal(4, result.ExitCode);
    }

    [Theory]
    [InlineData("timebox", "--foo", "TOOL: unrecognized option '--foo'")]
    [InlineData("timeout", "--foo", "TOOL: unrecognized option '--foo'")]
    [InlineData("timebox", "-x", "TOOL: invalid option -- 'x'")]
    [InlineData("timeout", "-x", "TOOL: invalid option -- 'x'")]
    [InlineData("timebox", "-k", "TOOL: option requires an argument -- 'k'")]
    [InlineData("timeout", "-k", "TOOL: option requires an argument -- 'k'")]
    [InlineData("timebox", "--kill-after", "TOOL: option '--kill-after' requires an argument")]
    [InlineData("timeout", "--kill-after", "TOOL: option '--kill-after' requires an argument")]
    [InlineData("timebox", "--verbose=yes", "TOOL: option '--verbose' doesn't allow an argument")]
    [InlineData("timeout", "--verbose=yes", "TOOL: option '--verbose' doesn't allow an argument")]
    [InlineData("timebox", "--ver", "TOOL: option '--ver' is ambiguous; possibilities: '--verbose' '--version'")]
    [InlineData("timeout", "--ver", "TOOL: option '--ver' is ambiguous; possibilities: '--verbose' '--version'")]
    public async Task Bad_options_exit_125_with_getopts_message(string tool, string option, string message)
    {
        var result = await RunTool(tool, option);
        Assert.Equal(125, result.ExitCode);
        Assert.Equal($"{message}\nTry 'TOOL --help' for more information.\n", Diagnostics(result, tool));
    }

    [Theory]
    [InlineData("timebox", "1x")]
    [InlineData("timeout", "1x")]
    [InlineData("timebox", "1e")]
    [InlineData("timeout", "1e")]
    [InlineData("timebox", "1ss")]
    [InlineData("timeout", "1ss")]
    [InlineData("timebox", "nan")]
    [InlineData("timeout", "nan")]
    [InlineData("timebox", "1 ")]
    [InlineData("timeout", "1 ")]
    public async Task Invalid_durations_exit_125(string tool, string duration)
    {
        var result = await RunTool(tool, duration, "true");
        Assert.Equal(125, result.ExitCode);
        Assert.Equal($"TOOL: invalid time interval '{duration}'\nTry 'TOOL --help' for more information.\n", Diagnostics(result, tool));
    }

    [Theory, MemberData(nameof(BothTools))]
    public async Task A_negative_duration_is_an_invalid_option(string tool)
    {
        var result = await RunTool(tool, "-1", "true");
        Assert.Equal(125, result.ExitCode);
        Assert.StartsWith("TOOL: invalid option -- '1'\n", Diagnostics(result, tool), StringComparison.Ordinal);
    }

    [Theory, MemberData(nameof(BothTools))]
    public async Task An_invalid_signal_exits_125(string tool)
    {
        var result = await RunTool(tool, "-s", "FOO", "5", "true");
        Assert.Equal(125, result.ExitCode);
        Assert.Equal("TOOL: 'FOO': invalid signal\nTry 'TOOL --help' for more information.\n", Diagnostics(result, tool));
    }

    [Theory, MemberData(nameof(BothTools))]
    public async Task Too_few_operands_exit_125(string tool)
    {
        var result = await RunTool(tool, "5");
        Assert.Equal(125, result.ExitCode);
        Assert.Equal("Try 'TOOL --help' for more information.\n", Diagnostics(result, tool));
    }

    [Theory, MemberData(nameof(BothTools))]
    public async Task Help_and_version_print_to_stdout_and_exit_0(string tool)
    {
        var help = await RunTool(tool, "--help");
        Assert.Equal(0, help.ExitCode);
        Assert.StartsWith($"Usage: {tool} [OPTION]", help.Stdout.Text.Replace(TimeboxCli.GnuTimeout, "timeout", StringComparison.Ordinal), StringComparison.Ordinal);
        var version = await RunTool(tool, "--version");
        Assert.Equal(0, version.ExitCode);
        Assert.StartsWith($"{tool} (", version.Stdout.Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("timebox", "0")]
    [InlineData("timeout", "0")]
    [InlineData("timebox", "1e400")]
    [InlineData("timeout", "1e400")]
    [InlineData("timebox", "9999999999d")]
    [InlineData("timeout", "9999999999d")]
    [InlineData("timebox", "inf")]
    [InlineData("timeout", "inf")]
    public async Task Zero_and_huge_durations_never_expire(string tool, string duration)
    {
        var result = await RunTool(tool, Concat([duration], ChildArgs("sleep", "300", "exit", "5")));
        Assert.Equal(5, result.ExitCode);
    }

    [Theory]
    [InlineData("timebox", "1e-10")]
    [InlineData("timeout", "1e-10")]
    [InlineData("timebox", "4.9e-324")]
    [InlineData("timeout", "4.9e-324")]
    [InlineData("timebox", "0x1p-1074")]
    [InlineData("timeout", "0x1p-1074")]
    [InlineData("timebox", "1e-11m")]
    [InlineData("timeout", "1e-11m")]
    [InlineData("timebox", "0x.0000001d")]
    [InlineData("timeout", "0x.0000001d")]
    public async Task Tiny_positive_durations_round_up_and_expire_at_once(string tool, string duration)
    {
        var result = await RunTool(tool, Concat([duration], ChildArgs("sleep", "300", "exit", "5")));
        Assert.Equal(124, result.ExitCode);
    }

    [Theory]
    [InlineData("timebox", "0.01m")]
    [InlineData("timeout", "0.01m")]
    [InlineData("timebox", ".5s")]
    [InlineData("timeout", ".5s")]
    [InlineData("timebox", "0x1p-1")]
    [InlineData("timeout", "0x1p-1")]
    public async Task Durations_take_fractions_suffixes_and_hexadecimal(string tool, string duration)
    {
        var result = await RunTool(tool, Concat([duration], ChildArgs("hold")));
        Assert.Equal(124, result.ExitCode);
    }

    [Theory]
    [InlineData("timebox", "HUP")]
    [InlineData("timeout", "HUP")]
    [InlineData("timebox", "sighup")]
    [InlineData("timeout", "sighup")]
    [InlineData("timebox", "SIGHUP")]
    [InlineData("timeout", "SIGHUP")]
    [InlineData("timebox", "1")]
    [InlineData("timeout", "1")]
    [InlineData("timebox", "129")]
    [InlineData("timeout", "129")]
    [InlineData("timebox", "Sig1")]
    [InlineData("timeout", "Sig1")]
    public async Task Signals_are_named_as_kill_names_them(string tool, string signal)
    {
        var result = await RunTool(tool, Concat(["-s", signal, "--preserve-status", "0.5"], ChildArgs("hold")));
        Assert.Equal(128 + 1, result.ExitCode);
    }

    [Theory, MemberData(nameof(BothTools))]
    public async Task Verbose_reports_each_signal_sent(string tool)
    {
        var result = await RunTool(tool, Concat(["-v", "-k", "0.5", "2"], ChildArgs("ignore-term", "hold")));
        var lines = Diagnostics(result, tool).Split('\n');
        Assert.Equal($"TOOL: sending signal TERM to command '{TestChild.Path}'", lines[0]);
        Assert.Equal($"TOOL: sending signal KILL to command '{TestChild.Path}'", lines[1]);
    }

    [Theory]
    [InlineData("timebox", "RTMIN+1", "RTMIN+1")]
    [InlineData("timeout", "RTMIN+1", "RTMIN+1")]
    [InlineData("timebox", "50", "RTMAX-14")]
    [InlineData("timeout", "50", "RTMAX-14")]
    [InlineData("timebox", "io", "POLL")]
    [InlineData("timeout", "io", "POLL")]
    public async Task Verbose_names_signals_as_GNU_does(string tool, string signal, string name)
    {
        var result = await RunTool(tool, Concat(["-v", "-s", signal, "0.3"], ChildArgs("hold")));
        Assert.Equal(124, result.ExitCode);
        Assert.Equal($"TOOL: sending signal {name} to command '{TestChild.Path}'", Diagnostics(result, tool).Split('\n')[0]);
    }

    [Theory]
    [InlineData("timebox")]
    [InlineData("timeout")]
    public async Task Foreground_with_kill_after_exits_137_instead_of_dying(string tool)
    {
        var result = await RunTool(tool, Concat(["--foreground", "-k", "0.3", "2"], ChildArgs("ignore-term", "hold")));
        Assert.Equal(137, result.ExitCode);
    }

    [Theory, MemberData(nameof(BothTools))]
    public async Task Foreground_times_out_the_command(string tool)
    {
        var result = await RunTool(tool, Concat(["--foreground", "0.5"], ChildArgs("hold")));
        Assert.Equal(124, result.ExitCode);
    }

    [Theory, MemberData(nameof(BothTools))]
    public async Task A_signal_sent_to_the_tool_is_passed_on_to_the_command(string tool)
    {
        var result = await SignalToolAsync(tool, 15, 1, "hold");
        // Not a timeout: the command died of TERM, so the tool does too.
        Assert.Equal(Outcome.Signaled, result.Outcome);
        Assert.Equal(15, result.Signal);
    }

    [Theory, MemberData(nameof(BothTools))]
    public async Task A_signal_the_caller_ignored_stays_ignored_in_the_command(string tool)
    {
        var ignored = await Program("sh", "-c", $"trap '' PIPE; exec {PathOf(tool)} 5 grep SigIgn /proc/self/status").RunAsync();
        var normal = await Program("sh", "-c", $"exec {PathOf(tool)} 5 grep SigIgn /proc/self/status").RunAsync();
        const ulong pipeBit = 1UL << (13 - 1);
        Assert.NotEqual(0UL, SignalMask(ignored.Stdout.Text) & pipeBit);
        Assert.Equal(0UL, SignalMask(normal.Stdout.Text) & pipeBit);
    }

    [Theory, MemberData(nameof(BothTools))]
    public async Task Works_as_a_background_job_of_a_script(string tool)
    {
        var result = await Program("sh", "-c", $"{PathOf(tool)} 0.5 {TestChildPath()} hold & wait $!").RunAsync();
        Assert.Equal(124, result.ExitCode);
    }

    [Theory, MemberData(nameof(BothTools))]
    public async Task Times_out_a_command_stopped_for_reading_the_terminal_from_its_background_group(string tool)
    {
        // Under a terminal (script gives one), the tool's own process group is not the terminal's foreground group:
        // the command is stopped (SIGTTIN) when it reads, the kernel stops the whole group, and the tool must stay awake.
        // The command is cat, which SIGTERM kills outright: a .NET child handles SIGTERM on another thread while its
        // main thread, continued, reads the terminal again and is stopped again, with either tool.
        using var running = Program("script", "-qec", $"{PathOf(tool)} 1 cat; echo rc=$?", "/dev/null")
            .WithStdin(StdinSource.Pipe).WithTimeout(TimeSpan.FromSeconds(30)).Start();
        var result = await running.WaitAsync();
        Assert.Contains("rc=124", result.Stdout.Text, StringComparison.Ordinal);
        Assert.True(result.Duration < Generous, $"took {result.Duration}");
    }

    [Theory, MemberData(nameof(BothTools))]
    public async Task Works_as_pid_1_of_a_pid_namespace(string tool)
    {
        var timedOut = await Program("unshare", Concat(["--fork", "--pid", "--mount-proc", PathOf(tool), "0.5"], ChildArgs("hold"))).RunAsync();
        Assert.Equal(124, timedOut.ExitCode);
        var exited = await Program("unshare", Concat(["--fork", "--pid", "--mount-proc", PathOf(tool), "5"], ChildArgs("exit", "7"))).RunAsync();
        Assert.Equal(7, exited.ExitCode);
    }

    private static string TestChildPath() => TestChild.Path;

    private static ulong SignalMask(string statusLine) =>
        ulong.Parse(statusLine.Split(':')[1].Trim(), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
}
