using Timebox.Tests.Support;

namespace Timebox.Tests.Cli;

/// <summary>
/// What the shell hands timebox reaches the command as it reaches it under GNU timeout: argument bytes that are not
/// UTF-8, program names in such bytes, every inherited descriptor (process substitution, <c>exec 7&gt;</c>), and a low
/// open-files limit, under which the command runs or timebox fails as its own error (125), never crashing.
/// </summary>
public sealed class CallerHandoverTests : CliTest
{
    private static readonly byte[] NotUtf8 = [0xFF, 0xFE, (byte)'A', 0xC3, 0x28, 0xED, 0xA0, 0x80, 0xE2, 0x82];

    public static TheoryData<string> BothBuilds => new() { "native", "jit" };

    [Theory, MemberData(nameof(BothTools))]
    public async Task Arguments_that_are_not_utf8_reach_the_command_unchanged(string tool)
    {
        using var result = await Command.FromBytes(System.Text.Encoding.UTF8.GetBytes(PathOf(tool)), "5"u8.ToArray(), "printf"u8.ToArray(), "%s"u8.ToArray(), NotUtf8).RunAsync();

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(NotUtf8, result.Stdout.ToArray());
    }

    [Theory, MemberData(nameof(BothBuilds))]
    public async Task Both_builds_pass_the_argument_bytes_and_inherited_descriptors_on(string build)
    {
        // The native binary records them before the runtime starts; the JIT build reads them from /proc/self.
        string[] tool = build == "native" ? [TimeboxCli.Path] : ["dotnet", TimeboxCli.JitAssembly];
        using var result = await Program("bash", ["-c", """
            exec 7>/dev/null
            "$@" 5 printf %s "$(printf '\377\376A\303(\355\240\200\342\202')" | od -An -tx1 | tr -d ' \n'; echo
            "$@" 5 sh -c 'echo descriptor 7 >&7 && echo open'
            """, "bash", .. tool]).WithTimeout(TimeSpan.FromSeconds(60)).RunAsync();

        Assert.Equal("", result.Stderr.Text);
        Assert.Equal("fffe41c328eda080e282\nopen\n", result.Stdout.Text);
    }

    [Theory, MemberData(nameof(BothTools))]
    public async Task A_program_whose_name_is_not_utf8_is_run_by_path_and_found_in_PATH(string tool)
    {
        var directory = Directory.CreateTempSubdirectory("timebox-cli-bytes-");
        try
        {
            using var result = await Program("bash", "-c", """
                f="$DIR/run-$(printf '\377\376')"
                printf '#!/bin/sh\necho ran "$@"\n' > "$f" && chmod +x "$f"
                "$TOOL" 5 "$f" by path
                PATH="$DIR:$PATH" "$TOOL" 5 "run-$(printf '\377\376')" in PATH
                """).WithEnvironment("TOOL", PathOf(tool)).WithEnvironment("DIR", directory.FullName).RunAsync();

            Assert.Equal("", result.Stderr.Text);
            Assert.Equal("ran by path\nran in PATH\n", result.Stdout.Text);
        }
        finally
        {
            // .NET cannot name the file to delete it.
            using var removed = new Command("rm", "-rf", directory.FullName).Run();
        }
    }

    [Theory, MemberData(nameof(BothTools))]
    public async Task Process_substitution_reaches_the_command(string tool)
    {
        using var result = await Program("bash", "-c", "\"$TOOL\" 5 cat <(echo x)").WithEnvironment("TOOL", PathOf(tool)).RunAsync();

        Assert.Equal("", result.Stderr.Text);
        Assert.Equal("x\n", result.Stdout.Text);
        Assert.Equal(0, result.ExitCode);
    }

    [Theory, MemberData(nameof(BothTools))]
    public async Task A_descriptor_the_shell_opened_reaches_the_command_and_no_other_is_added(string tool)
    {
        var file = Path.GetTempFileName();
        try
        {
            using var result = await Program("bash", "-c", """
                exec 7>"$FILE" 12</dev/null
                "$TOOL" 5 sh -c 'echo hi >&7'
                "$TOOL" 5 ls /proc/self/fd | tr '\n' ' '
                """).WithEnvironment("TOOL", PathOf(tool)).WithEnvironment("FILE", file).RunAsync();

            Assert.Equal("", result.Stderr.Text);
            Assert.Equal("hi\n", File.ReadAllText(file));
            // ls itself opens 3 to read the directory.
            Assert.Equal("0 1 12 2 3 7 ", result.Stdout.Text);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("timebox", "5", "")]
    [InlineData("timebox", "6", "")]
    [InlineData("timebox", "12", "--idle-timeout=5")]
    [InlineData("timeout", "5", "")]
    public async Task Under_a_low_descriptor_limit_the_command_runs_or_timebox_fails_as_its_own_error(string tool, string limit, string option)
    {
        using var result = await Program("bash", "-c", $"ulimit -n {limit}; exec \"$TOOL\" {option} 5 sh -c 'echo ok; ulimit -n'")
            .WithEnvironment("TOOL", PathOf(tool)).RunAsync();

        // The command ran under the caller's limit, as under GNU timeout; or timebox could not get the descriptors it
        // needs (here the hard limit is the same and raising it takes CAP_SYS_RESOURCE) and says so.
        if (result.ExitCode == 0) Assert.Equal($"ok\n{limit}\n", result.Stdout.Text);
        else Assert.Equal((125, "", true), (result.ExitCode, result.Stdout.Text, result.Stderr.Text.EndsWith(": Too many open files\n", StringComparison.Ordinal)));
    }

    [Theory, MemberData(nameof(BothTools))]
    public async Task Under_a_low_soft_limit_the_command_runs_with_the_callers_limits(string tool)
    {
        // timebox's output relays (--idle-timeout, which GNU lacks) need more descriptors still.
        var option = tool == "timebox" ? "--idle-timeout=5" : "";
        using var result = await Program("bash", "-c", $"ulimit -Sn 5; ulimit -Hn 4096; exec \"$TOOL\" {option} 5 sh -c 'echo ok; ulimit -Sn; ulimit -Hn'")
            .WithEnvironment("TOOL", PathOf(tool)).RunAsync();

        Assert.Equal("", result.Stderr.Text);
        Assert.Equal("ok\n5\n4096\n", result.Stdout.Text);
        Assert.Equal(0, result.ExitCode);
    }
}
