using System.Diagnostics;
using Timebox.Tests.Support;

namespace Timebox.Tests.Cli;

/// <summary>
/// coreutils' own tests of timeout (tests/timeout/*.sh and timeout-blocked.pl, as of coreutils 9.11), one test per
/// check, named after its script, each run with the tool under test installed as <c>timeout</c> first on the PATH so
/// the scripts' command lines stay as they are. Both tools run them, GNU's 9.1 as the reference, except where 9.1 predates
/// the check. Checks <see cref="GnuCompatibilityTests"/> already makes are not repeated: timeout.sh's exit status
/// propagation, timeout, --preserve-status and ignored SIGCHLD (Exits_with_the_status_of_a_command_that_ends_in_time,
/// Exits_124_when_the_command_times_out, Preserve_status_exits_with_the_status_of_the_killed_command,
/// Works_when_started_with_SIGCHLD_ignored_and_a_child_it_did_not_start); timeout-parameters.sh's invalid signal and
/// 126 for '.' (An_invalid_signal_exits_125, A_directory_found_on_the_path_cannot_be_invoked); init-parent.sh
/// (Works_as_pid_1_of_a_pid_namespace).
/// </summary>
public sealed class CoreutilsTimeoutTests : CliTest
{
    // getlimits' values on x86-64 Linux.
    private const string UintOverflow = "4294967296";
    private const string TimeTOverflow = "9223372036854775808";
    private const string LongDoubleMax = "1.18973149535723176502e+4932";

    [Theory]
    [InlineData("timebox", "10")]
    [InlineData("timeout", "10")]
    [InlineData("timebox", "1d")]
    [InlineData("timeout", "1d")]
    [InlineData("timebox", "0")]
    [InlineData("timeout", "0")]
    public async Task Timeout_sh_a_command_that_ends_in_time_exits_0(string tool, string duration)
    {
        var result = await ScriptAsync(tool, $"timeout {duration} true");
        Assert.Equal(0, result.ExitCode);
    }

    [Theory]
    [InlineData("timebox", "")]
    [InlineData("timeout", "")]
    [InlineData("timebox", "--foreground")]
    [InlineData("timeout", "--foreground")]
    public async Task Timeout_sh_kill_after_ends_a_command_that_signal_0_left_running_with_status_137(string tool, string option)
    {
        var result = await ScriptAsync(tool, $"timeout {option} -s0 -k1 .1 sleep 10; echo $?");
        Assert.Equal("137\n", result.Stdout.Text);
    }

    [Theory, MemberData(nameof(BothTools))]
    public async Task Timeout_sh_a_child_started_before_it_does_not_confuse_it(string tool)
    {
        // Bug#9098: the tool starts as the parent of a sleep that ends first.
        var result = await ScriptAsync(tool, """
            out=$(setsid sleep .1 & exec timeout .5 sh -c 'sleep 2; echo foo')
            echo "status=$? out=$out"
            """);
        Assert.Equal("status=124 out=\n", result.Stdout.Text);
    }

    [Theory]
    [InlineData("timebox", "-v")]
    [InlineData("timeout", "-v")]
    [InlineData("timebox", "--verbose")]
    [InlineData("timeout", "--verbose")]
    public async Task Timeout_sh_verbose_names_each_signal_sent(string tool, string option)
    {
        var result = await ScriptAsync(tool, $"timeout {option} -s0 -k .1 .1 sleep 10 2> errt; sed '/^Killed/d' < errt");
        var lines = Neutral(result.Stdout.Text).Split('\n');
        // coreutils prints signal 0 as 0 since 9.10 (the script expects it); Debian's 9.1 still says EXIT.
        Assert.Equal(tool == "timeout" ? "TOOL: sending signal EXIT to command 'sleep'" : "TOOL: sending signal 0 to command 'sleep'", lines[0]);
        Assert.Equal("TOOL: sending signal KILL to command 'sleep'", lines[1]);
        // timebox -v adds a summary line of its own (README: Options); nothing else.
        Assert.Equal(tool == "timebox" ? 4 : 3, lines.Length);
    }

    [Fact]
    public async Task Timeout_sh_a_SIGPIPE_from_its_closed_output_does_not_kill_it_before_the_timeout()
    {
        // Only timebox: GNU 9.1 dies of the SIGPIPE its verbose message raises (141) and leaves the sleep running;
        // coreutils handles it since 9.10.
        var result = await ScriptAsync("timebox", "{ timeout -v .1 sleep 10 2>&1; echo $? >timeout.status; } | :; cat timeout.status");
        Assert.Equal("124\n", result.Stdout.Text);
    }

    [Theory, MemberData(nameof(BothTools))]
    public async Task Timeout_sh_a_SIGPIPE_the_caller_ignored_stays_ignored_in_the_command(string tool)
    {
        var result = await ScriptAsync(tool, "(trap '' PIPE && timeout 10 yes |:) 2>&1 | grep -c 'Broken pipe'");
        Assert.Equal("1\n", result.Stdout.Text);
    }

    [Theory]
    [InlineData("timebox", "invalid")]
    [InlineData("timeout", "invalid")]
    [InlineData("timebox", " -0.1")]
    [InlineData("timeout", " -0.1")]
    [InlineData("timebox", " -1e-10000")]
    [InlineData("timebox", "42D")]
    [InlineData("timeout", "42D")]
    public async Task Timeout_parameters_sh_an_invalid_duration_exits_125(string tool, string duration)
    {
        // " -1e-10000" only for timebox: GNU 9.1 takes it as 0, no timeout; coreutils refuses it since 9.7.
        var result = await RunTool(tool, duration, "sleep", "0");
        Assert.Equal(125, result.ExitCode);
    }

    [Theory, MemberData(nameof(BothTools))]
    public async Task Timeout_parameters_sh_an_invalid_kill_delay_exits_125(string tool)
    {
        var result = await RunTool(tool, "--kill-after=invalid", "1", "sleep", "0");
        Assert.Equal(125, result.ExitCode);
    }

    [Theory]
    [InlineData("timebox", "10.34")]
    [InlineData("timeout", "10.34")]
    [InlineData("timebox", "9.999999999")]
    [InlineData("timeout", "9.999999999")]
    public async Task Timeout_parameters_sh_fractional_durations_run_the_command(string tool, string duration)
    {
        var result = await RunTool(tool, duration, "sleep", "0");
        Assert.Equal(0, result.ExitCode);
    }

    [Fact]
    public async Task Timeout_parameters_sh_an_underflowing_duration_rounds_up_and_times_out()
    {
        // Only timebox: GNU 9.1 rounds 1e-10000 down to 0, no timeout; coreutils rounds it up to 1 ns since 9.7.
        var result = await RunTool("timebox", "1e-10000", "sleep", "10");
        Assert.Equal(124, result.ExitCode);
        Assert.True(result.Duration < Generous, $"took {result.Duration}");
    }

    [Theory, MemberData(nameof(BothTools))]
    public async Task Timeout_parameters_sh_a_command_not_on_the_path_exits_127(string tool)
    {
        var result = await ScriptAsync(tool, "timeout 10 no_such; echo $?");
        Assert.Equal("127\n", result.Stdout.Text);
    }

    [Theory]
    [InlineData("timebox", TimeTOverflow, "1")]
    [InlineData("timeout", TimeTOverflow, "1")]
    [InlineData("timebox", UintOverflow, "0")]
    [InlineData("timeout", UintOverflow, "0")]
    [InlineData("timebox", TimeTOverflow + "d", "0")]
    [InlineData("timeout", TimeTOverflow + "d", "0")]
    [InlineData("timebox", "2.34e+5d", "0")]
    [InlineData("timeout", "2.34e+5d", "0")]
    [InlineData("timebox", LongDoubleMax, "0")]
    [InlineData("timeout", LongDoubleMax, "0")]
    public async Task Timeout_large_parameters_sh_a_duration_too_large_for_the_timer_never_fires(string tool, string duration, string sleep)
    {
        // The script's precondition (a time_t overflow must not fire at once, over a sleep of 3 s here 1 s) is a check too.
        var result = await RunTool(tool, duration, "sleep", sleep);
        Assert.Equal(0, result.ExitCode);
    }

    [Theory, MemberData(nameof(BothTools))]
    public async Task Timeout_large_parameters_sh_a_negative_huge_duration_exits_125(string tool)
    {
        var result = await RunTool(tool, "--", "-" + LongDoubleMax, "sleep", "0");
        Assert.Equal(125, result.ExitCode);
    }

    [Theory, MemberData(nameof(BothTools))]
    public async Task Timeout_blocked_pl_a_SIGALRM_blocked_by_the_caller_still_times_out(string tool)
    {
        var result = await Program("perl", "-MPOSIX", "-e", "sigprocmask(SIG_BLOCK, POSIX::SigSet->new(SIGALRM)) or die; exec @ARGV or die",
            PathOf(tool), ".1", "sleep", "10").WithTimeout(TimeSpan.FromSeconds(60)).RunAsync();
        Assert.Equal(124, result.ExitCode);
        Assert.True(result.Duration < Generous, $"took {result.Duration}");
    }

    // timeout-group.sh's command: traps USR1 (signal received: it writes sig.received and exits), else counts down.
    private const string GroupCommand = """
        printf '%s\n' '#!/bin/sh' > timeout.cmd
        cat >> timeout.cmd <<\EOF
        trap 'touch sig.received; exit' USR1
        touch timeout.running
        count=$1
        until test -e sig.received || test $count = 0; do
          sleep 1
          count=$(expr $count - 1)
        done
        EOF
        chmod a+x timeout.cmd
        wait_for() { i=0; until test -e "$1"; do i=$((i + 1)); test $i -le 100 || return 1; sleep .1; done; }
        """;

    [Fact]
    public async Task Timeout_group_sh_a_signal_to_the_callers_group_reaches_a_foreground_command()
    {
        // Only timebox: GNU 9.1 dies of the USR1 (it passes on only some signals before 9.10), so the script's wait
        // returns before the command, still in its sleep, has written sig.received: the check is a race it mostly loses.
        var result = await ScriptAsync("timebox", GroupCommand + """

            cat > group.sh <<EOF
            #!/bin/sh
            trap '' USR1
            env --default-signal=USR1 \
            timeout -v --foreground 25 ./timeout.cmd 20&
            wait
            EOF
            chmod a+x group.sh
            setsid ./group.sh & pid=$!
            wait_for timeout.running || echo "not started"
            kill -USR1 -- -$pid
            wait
            test -e sig.received && echo received
            """);
        Assert.Equal("received\n", result.Stdout.Text);
    }

    [Fact]
    public async Task Timeout_group_sh_the_command_gets_the_signal_when_the_tool_is_killed()
    {
        // Only timebox: GNU does this since coreutils 9.10 (PR_SET_PDEATHSIG), Debian's 9.1 not yet.
        var result = await ScriptAsync("timebox", GroupCommand + """

            timeout -sUSR1 25 ./timeout.cmd 20 & pid=$!
            wait_for timeout.running || echo "not started"
            kill -KILL -- $pid
            wait
            wait_for sig.received && echo received
            """);
        Assert.Equal("received\n", result.Stdout.Text);
    }

    [Theory, MemberData(nameof(BothTools))]
    public async Task Timeout_group_sh_nested_timeouts_pass_the_outer_signal_through_the_inner_to_the_command(string tool)
    {
        // The outer one's ALRM must reach the inner one, which times out and sends its own USR1 to the command, which
        // traps it: the command must not die of the outer's signal before the inner can translate it.
        var clock = Stopwatch.StartNew();
        var result = await ScriptAsync(tool, GroupCommand + """

            timeout -sALRM 30 timeout -sUSR1 25 ./timeout.cmd 20 & pid=$!
            wait_for timeout.running || echo "not started"
            kill -ALRM $pid
            wait $pid
            echo "status=$?"
            test -e sig.received && echo received
            """);
        Assert.Equal("status=124\nreceived\n", result.Stdout.Text);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}: the command got no signal until its sleep ended");
    }

    [Theory, MemberData(nameof(BothTools))]
    public async Task Nested_under_GNU_timeout_the_outer_signal_reaches_only_the_inner_supervisor(string tool)
    {
        // Issue 14's form of timeout-group.sh's cascade, stricter than the script: the command records every signal
        // it gets. GNU's outer one signals its child and its own process group, where the command is not: the command
        // must get the inner one's USR1 and never the outer one's ALRM.
        var result = await ScriptAsync(tool, """
            cat > job <<\EOF
            #!/bin/sh
            for sig in HUP INT QUIT USR2 ALRM TERM; do trap "echo $sig >> signals" $sig; done
            trap 'echo USR1 >> signals; exit' USR1
            touch running
            i=0; while [ $i -lt 200 ]; do sleep .1; i=$((i + 1)); done
            EOF
            chmod a+x job
            /usr/bin/timeout -k 5 40 timeout -s ALRM 30 timeout -s USR1 25 ./job & supervisor=$!
            i=0; until test -e running; do i=$((i + 1)); test $i -le 100 || break; sleep .1; done
            outer=$(cat /proc/$supervisor/task/$supervisor/children)
            kill -ALRM $outer
            wait $supervisor
            echo "status=$?"
            cat signals
            """);
        Assert.Equal("status=124\nUSR1\n", result.Stdout.Text);
    }

    /// <summary>
    /// Runs <paramref name="script"/> with bash (as coreutils runs its tests) in a directory of its own, with TOOL installed there as <c>timeout</c>
    /// first on the PATH, and proves afterwards that nothing started from that directory is still alive.
    /// </summary>
    private async Task<RunResult> ScriptAsync(string tool, string script)
    {
        var directory = Directory.CreateTempSubdirectory("timebox-coreutils-");
        try
        {
            var bin = Directory.CreateDirectory(Path.Combine(directory.FullName, "bin"));
            File.CreateSymbolicLink(Path.Combine(bin.FullName, "timeout"), PathOf(tool));
            var result = await Program("bash", "-c", script)
                .WithWorkingDirectory(directory.FullName)
                .WithEnvironment("PATH", bin.FullName + ":" + Environment.GetEnvironmentVariable("PATH"))
                .WithEnvironment("LC_ALL", "C")
                .WithTimeout(TimeSpan.FromSeconds(60)).RunAsync();
            Assert.Empty(Proc.KillSurvivorsIn(directory.FullName));
            return result;
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    // The scripts run the tool as "timeout" from the PATH, which GNU names itself after (timebox always says timebox).
    private static string Neutral(string diagnostics) => Diagnostics(diagnostics.Replace("timeout:", "TOOL:", StringComparison.Ordinal), "timebox");
}
