using System.Text.Json;
using Timebox.Tests.Support;

namespace Timebox.Tests.Cli;

/// <summary>
/// --report under faults: a full disk, /dev/full, symbolic links (dangling, and to a file that must stay untouched),
/// unwritable paths. The report is written whole or not at all, and the command's exit status survives its failure.
/// </summary>
public sealed class ReportFileTests : CliTest, IDisposable
{
    private readonly BatchWorkspace _work = new();

    private const string NoSpace = "No space left on device";

    [Fact]
    public async Task A_report_to_dev_full_says_why_in_the_systems_words_and_keeps_the_commands_exit_status()
    {
        var result = await RunTool("timebox", Concat(["--report=/dev/full", "5"], ChildArgs("exit", "3")));

        Assert.Equal(3, result.ExitCode);
        Assert.Equal($"timebox: cannot write report '/dev/full': {NoSpace}\n", result.Stderr.Text);
    }

    [RootFact]
    public async Task A_report_on_a_full_disk_leaves_the_previous_report_whole_and_no_temporary_file()
    {
        using var disk = new TmpfsMount("64k");
        var report = disk.FileIn("run.json");
        File.WriteAllText(report, "previous\n");
        disk.Fill();

        var result = await RunTool("timebox", Concat([$"--report={report}", "5"], ChildArgs("exit", "4")));

        Assert.Equal(4, result.ExitCode);
        Assert.Equal($"timebox: cannot write report '{report}': {NoSpace}\n", result.Stderr.Text);
        Assert.Equal("previous\n", File.ReadAllText(report));
        Assert.Equal([".filler", "run.json"], Directory.GetFiles(disk.Path).Select(Path.GetFileName).Order());

        // With room again, the same report is written whole.
        disk.Free();
        var again = await RunTool("timebox", Concat([$"--report={report}", "5"], ChildArgs("exit", "4")));
        Assert.Equal(4, again.ExitCode);
        Assert.Equal(4, JsonDocument.Parse(File.ReadAllText(report)).RootElement.GetProperty("exit_code").GetInt32());
    }

    [Fact]
    public async Task A_symlink_at_the_report_path_is_replaced_and_its_target_left_untouched()
    {
        var trap = new LinkTrap(_work, "json");

        foreach (var path in new[] { trap.Link, trap.Dangling })
        {
            var result = await RunTool("timebox", Concat([$"--report={path}", "5"], ChildArgs("exit", "0")));
            Assert.Equal(0, result.ExitCode);
            Assert.Equal("exited", JsonDocument.Parse(File.ReadAllText(path)).RootElement.GetProperty("outcome").GetString());
        }
        trap.AssertLinksReplacedAndTargetsUntouched();
    }

    [Fact]
    public async Task Unwritable_report_paths_are_refused_before_the_run_in_the_systems_words()
    {
        var marker = _work.Path("ran");
        foreach (var (path, words) in new[] { (_work.Directory, "Is a directory"), (_work.Path("missing/run.json"), "No such file or directory") })
        {
            var result = await RunTool("timebox", [$"--report={path}", "5", "touch", marker]);
            Assert.Equal(125, result.ExitCode);
            Assert.Equal($"timebox: cannot write report '{path}': {words}\n", result.Stderr.Text);
        }
        Assert.False(File.Exists(marker));
    }

    [Fact]
    public async Task A_report_to_dev_stdout_is_written_to_the_descriptor()
    {
        var result = await RunTool("timebox", Concat(["--report=/dev/stdout", "5"], ChildArgs("exit", "0")));

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("exited", JsonDocument.Parse(result.Stdout.Text).RootElement.GetProperty("outcome").GetString());
    }

    public new void Dispose()
    {
        _work.Dispose();
        base.Dispose();
    }
}
