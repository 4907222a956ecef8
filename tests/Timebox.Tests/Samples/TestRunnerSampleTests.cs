using System.Diagnostics;
using Timebox.Tests.Support;

namespace Timebox.Tests.Samples;

/// <summary>samples/Timebox.Samples.TestRunner, run end to end on a copy of its example-tests folder.</summary>
public sealed class TestRunnerSampleTests : IDisposable
{
    private readonly ScratchDirectory _directory = new();

    [Fact]
    public async Task Runs_the_example_tests_under_their_deadline_and_sums_them_up_with_the_partial_output_of_the_hung_one()
    {
        foreach (var file in Directory.GetFiles(RepositoryFiles.PathOf("samples/Timebox.Samples.TestRunner/example-tests")))
            File.Copy(file, Path.Combine(_directory.Path, Path.GetFileName(file)));

        var stopwatch = Stopwatch.StartNew();
        using var result = await new Command(RepositoryFiles.BuiltProgram("samples/Timebox.Samples.TestRunner"), "-j", "2", "--timeout", "2", ".")
            .WithWorkingDirectory(_directory.Path).WithTimeout(TimeSpan.FromSeconds(60)).RunAsync();
        var lines = result.Stdout.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(lines, line => line.StartsWith("PASSED    passes.sh (", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.StartsWith("FAILED    fails.sh (", StringComparison.Ordinal) && line.EndsWith(", exit 1)", StringComparison.Ordinal));
        Assert.Contains("    | checking the answer\n    | expected 42, got 41\n", result.Stdout.Text, StringComparison.Ordinal);
        Assert.Contains(lines, line => line.StartsWith("TIMED OUT hangs.sh (2.", StringComparison.Ordinal) && line.EndsWith(", after 2 s, output so far:)", StringComparison.Ordinal));
        Assert.Contains("    | starting the server\n    | waiting for the server\n", result.Stdout.Text, StringComparison.Ordinal);
        Assert.Matches(@"^3 tests in \d+\.\d s: 1 passed, 1 failed, 1 timed out$", lines[^1]);
        // Two at a time: the hung test's deadline does not hold up the others.
        Assert.InRange(stopwatch.Elapsed, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Exits_zero_when_every_test_passes()
    {
        await File.WriteAllTextAsync(Path.Combine(_directory.Path, "a.sh"), "true\n");
        await File.WriteAllTextAsync(Path.Combine(_directory.Path, "b.sh"), "echo fine\n");

        using var result = await new Command(RepositoryFiles.BuiltProgram("samples/Timebox.Samples.TestRunner"), _directory.Path)
            .WithWorkingDirectory(_directory.Path).WithTimeout(TimeSpan.FromSeconds(60)).RunAsync();

        Assert.Equal(0, result.ExitCode);
        Assert.EndsWith(": 2 passed, 0 failed, 0 timed out\n", result.Stdout.Text, StringComparison.Ordinal);
    }

    public void Dispose() => _directory.Dispose();
}
