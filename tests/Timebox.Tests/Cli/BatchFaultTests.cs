using System.Text;
using System.Text.Json;
using Timebox.Tests.Support;

namespace Timebox.Tests.Cli;

/// <summary>
/// `timebox batch` under faults: a full disk under the results, symbolic links at the HTML path, job lines with bad
/// bytes, and a descriptor limit too low for the parallelism asked for.
/// </summary>
public sealed class BatchFaultTests : CliTest, IDisposable
{
    private readonly BatchWorkspace _work = new();

    private Command Batch(params string[] args) =>
        Program(TimeboxCli.Path, ["batch", .. args]).WithEnvironment("LC_ALL", "C").WithTimeout(TimeSpan.FromSeconds(120));

    /// <summary>Every line of a results file, parsed as jq would: the whole file must be JSON Lines.</summary>
    private static List<JsonElement> ParseEveryLine(string path)
    {
        var text = File.ReadAllText(path);
        Assert.True(text.Length == 0 || text.EndsWith('\n'), "the results file ends with a partial line");
        return [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement.Clone())];
    }

    [RootFact]
    public async Task Results_on_a_full_disk_end_with_a_whole_line_and_every_output_file_is_referenced()
    {
        using var disk = new TmpfsMount("64k");
        _work.WriteJobs(Enumerable.Range(1, 40).Select(i => BatchWorkspace.Job(("id", $"j{i}"), ("shell", "head -c 3000 /dev/zero | tr '\\0' x"))));
        var results = disk.FileIn("r.jsonl");

        var result = await Batch(_work.Jobs, $"--results={results}", "--inline-limit=1000", "-j", "4", "--progress=none").RunAsync();

        Assert.Equal(125, result.ExitCode);
        Assert.Contains("batch: cannot write results: No space left on device; stopping", result.Stderr.Text, StringComparison.Ordinal);
        var lines = ParseEveryLine(results);
        Assert.InRange(lines.Count, 1, 39);
        var referenced = lines.Select(line => line.GetProperty("stdout_file").GetString()!).ToHashSet();
        Assert.Equal(referenced.Order(), Directory.GetFiles(disk.FileIn("r.output")).Order());
        Assert.All(referenced, file => Assert.Equal(3000, new FileInfo(file).Length));
    }

    [Fact]
    public async Task Output_files_a_killed_batch_saved_but_never_recorded_are_removed_by_the_next_run()
    {
        var outputs = Directory.CreateDirectory(_work.Path("jobs.results.output")).FullName;
        var recorded = Path.Combine(outputs, "j1.1.stdout");
        File.WriteAllText(_work.Results, JsonSerializer.Serialize(new { id = "j1", attempt = 1, outcome = "exited", exit_code = 0, stdout_file = recorded }) + "\n");
        foreach (var name in new[] { "j1.1.stdout", "j2.1.stdout", "j2.1.stderr.2", "notes.txt" }) File.WriteAllText(Path.Combine(outputs, name), "x");
        _work.WriteJobs([BatchWorkspace.Job(("id", "j1"), ("shell", "true"))]);

        var result = await Batch(_work.Jobs, "--progress=none").RunAsync();

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("batch: removed 2 output files of", result.Stderr.Text, StringComparison.Ordinal);
        Assert.Equal(["j1.1.stdout", "notes.txt"], Directory.GetFiles(outputs).Select(Path.GetFileName).Order());
    }

    [Fact]
    public async Task The_HTML_report_replaces_a_symlink_and_is_not_truncated_while_the_batch_runs()
    {
        var trap = new LinkTrap(_work, "html");
        // The job reads the report path while the batch runs: it still holds what was there before.
        _work.WriteJobs([BatchWorkspace.Job(("id", "look"), ("command", new[] { "cat", trap.Link }))]);

        var result = await Batch(_work.Jobs, $"--html={trap.Link}", "--progress=none").RunAsync();
        var again = await Batch(_work.Jobs, $"--html={trap.Dangling}", $"--results={_work.Path("again.jsonl")}", "--progress=none").RunAsync();

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(0, again.ExitCode);
        Assert.Equal(LinkTrap.VictimContent, _work.ReadResults().Single().GetProperty("stdout").GetString());
        trap.AssertLinksReplacedAndTargetsUntouched();
        foreach (var path in new[] { trap.Link, trap.Dangling })
            Assert.StartsWith("<!DOCTYPE html>", File.ReadAllText(path), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_UTF8_a_lone_surrogate_and_a_BOM_are_errors_of_their_line_and_the_other_jobs_run()
    {
        WriteBadJobs();

        var result = await Batch(_work.Jobs, "--progress=none").RunAsync();

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(
            $"timebox: {_work.Jobs}:1: starts with a byte order mark (U+FEFF): job files are UTF-8 without one; line skipped\n" +
            $"timebox: {_work.Jobs}:2: not valid UTF-8 (at byte {BadBytesPrefix.Length + 1}); line skipped\n" +
            $"timebox: {_work.Jobs}:4: a string holds a lone surrogate escape (such as \\ud800), which is no character; line skipped\n",
            result.Stderr.Text);
        Assert.Equal(["fine"], ParseEveryLine(_work.Results).Select(line => line.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task Strict_refuses_a_job_file_with_a_bad_line_before_running_anything()
    {
        WriteBadJobs();

        var result = await Batch(_work.Jobs, "--strict", "--progress=none").RunAsync();

        Assert.Equal(125, result.ExitCode);
        Assert.EndsWith($"timebox: batch: 3 bad lines in '{_work.Jobs}': nothing run (--strict)\n", result.Stderr.Text, StringComparison.Ordinal);
        Assert.False(File.Exists(_work.Results));
        Assert.False(File.Exists(_work.Path("ran")));
    }

    private static ReadOnlySpan<byte> BadBytesPrefix => "{\"id\":\"bytes\",\"shell\":\"echo "u8;

    /// <summary>Line 1 has a BOM, line 2 a byte 0xFF in a string (after <see cref="BadBytesPrefix"/>), line 3 is a good job that leaves a file "ran", line 4 escapes a lone surrogate.</summary>
    private void WriteBadJobs()
    {
        var jobs = new MemoryStream();
        jobs.Write("\uFEFF{\"id\":\"bom\",\"shell\":\"true\"}\n"u8);
        jobs.Write(BadBytesPrefix);
        jobs.WriteByte(0xFF);
        jobs.Write("\"}\n"u8);
        jobs.Write(Encoding.UTF8.GetBytes(BatchWorkspace.Job(("id", "fine"), ("command", new[] { "touch", _work.Path("ran") })) + "\n"));
        jobs.Write("{\"id\":\"surrogate\",\"shell\":\"echo \\ud800\"}\n"u8);
        File.WriteAllBytes(_work.Jobs, jobs.ToArray());
    }

    [Fact]
    public async Task Under_a_low_descriptor_limit_the_batch_runs_fewer_jobs_at_once_and_records_every_job()
    {
        _work.WriteJobs(Enumerable.Range(1, 64).Select(i => BatchWorkspace.Job(("id", $"j{i}"), ("command", new[] { "sleep", "0.2" }))));

        var result = await Program("prlimit", "--nofile=24:24", "--", TimeboxCli.Path, "batch", _work.Jobs, "-j", "16", "--progress=none")
            .WithEnvironment("LC_ALL", "C").WithTimeout(TimeSpan.FromSeconds(120)).RunAsync();

        Assert.True(result.ExitCode == 0, result.Stderr.Text);
        Assert.Contains("batch: warning: Too many open files: running at most ", result.Stderr.Text, StringComparison.Ordinal);
        var lines = ParseEveryLine(_work.Results);
        Assert.Equal(64, lines.Select(line => line.GetProperty("id").GetString()).Distinct().Count());
        Assert.All(lines, line => Assert.Equal("exited", line.GetProperty("outcome").GetString()));
    }

    public new void Dispose()
    {
        _work.Dispose();
        base.Dispose();
    }
}
