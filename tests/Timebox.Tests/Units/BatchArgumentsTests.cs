using Timebox.Cli;

namespace Timebox.Tests.Units;

/// <summary>
/// <see cref="BatchArguments"/> for the distributed mode: which options go with --storage, which are refused with it
/// (and why), --collect without a job file, and the names a queue and a batch id may have.
/// </summary>
[Trait("Category", "Unit")]
public sealed class BatchArgumentsTests
{
    private static BatchSettings Parse(params string[] args)
    {
        Assert.Equal(BatchArguments.Request.Run, BatchArguments.Parse(args, out var settings));
        return settings;
    }

    private static string Refusal(params string[] args) => Assert.Throws<UsageException>(() => BatchArguments.Parse(args, out _)).Diagnostic!;

    [Fact]
    public void Storage_options_are_taken_before_or_after_the_job_file()
    {
        var settings = Parse("--storage", "Host=db", "jobs.jsonl", "--queue", "gpu", "--no-wait", "--batch-id", "nightly-7", "--retries", "2");
        Assert.Equal("Host=db", settings.Storage);
        Assert.Equal("gpu", settings.Queue);
        Assert.True(settings.NoWait);
        Assert.Equal("nightly-7", settings.BatchId);
        Assert.Equal(2, settings.Retries);
        Assert.Equal("jobs.jsonl", settings.JobsPath);
    }

    [Fact]
    public void The_local_mode_keeps_its_defaults()
    {
        var settings = Parse("jobs.jsonl");
        Assert.Null(settings.Storage);
        Assert.Equal("default", settings.Queue);
        Assert.False(settings.NoWait);
        Assert.Null(settings.CollectId);
    }

    [Fact]
    public void Collect_takes_no_job_file_and_names_its_results_after_the_batch()
    {
        var settings = Parse("--collect", "0956f05f33f7ee65", "--storage", "Host=db");
        Assert.Equal("0956f05f33f7ee65", settings.CollectId);
        Assert.Equal("0956f05f33f7ee65.results.jsonl", settings.EffectiveResultsPath);
        Assert.Equal("r.jsonl", Parse("--collect", "b", "--storage", "Host=db", "--results", "r.jsonl").EffectiveResultsPath);
        Assert.Contains("--collect takes no job file", Refusal("--collect", "b", "--storage", "Host=db", "jobs.jsonl"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--queue=gpu", "batch: --queue needs --storage (the distributed mode)")]
    [InlineData("--no-wait", "batch: --no-wait needs --storage (the distributed mode)")]
    [InlineData("--batch-id=b", "batch: --batch-id needs --storage (the distributed mode)")]
    public void Distributed_options_need_a_storage(string option, string diagnostic) =>
        Assert.Equal(diagnostic, Refusal("jobs.jsonl", option));

    [Theory]
    [InlineData("-j4", "--jobs does not apply with --storage: each worker's --slots sets how many jobs run at once")]
    [InlineData("--fail-fast", "--fail-fast does not apply with --storage")]
    [InlineData("--batch-timeout=1m", "--batch-timeout does not apply with --storage")]
    [InlineData("--output-dir=out", "--output-dir does not apply with --storage")]
    public void Local_options_are_refused_with_a_storage_saying_why(string option, string diagnostic) =>
        Assert.Contains(diagnostic, Refusal("jobs.jsonl", "--storage", "Host=db", option), StringComparison.Ordinal);

    [Theory]
    [InlineData("--queue", "GPU")]
    [InlineData("--queue", "a b")]
    [InlineData("--queue", "")]
    [InlineData("--batch-id", "../etc")]
    [InlineData("--batch-id", ".hidden")]
    [InlineData("--batch-id", "a/b")]
    [InlineData("--storage", "")]
    public void Names_outside_their_alphabet_are_refused(string option, string value) =>
        Assert.StartsWith("batch: invalid", Refusal("jobs.jsonl", "--storage", "Host=db", option, value), StringComparison.Ordinal);
}
