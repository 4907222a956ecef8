using System.Diagnostics;
using Timebox.Tests.Support;

namespace Timebox.Tests.Samples;

/// <summary>samples/Timebox.Samples.Convert, run end to end with its ffmpeg stand-in (fake-ffmpeg.sh) as the encoder.</summary>
public sealed class ConvertSampleTests : IDisposable
{
    private readonly ScratchDirectory _directory = new();

    private Command Convert(params string[] arguments) =>
        new Command(RepositoryFiles.BuiltProgram("samples/Timebox.Samples.Convert"),
                ["--encoder", RepositoryFiles.PathOf("samples/Timebox.Samples.Convert/fake-ffmpeg.sh"), "--stall", "1", .. arguments])
            .WithWorkingDirectory(_directory.Path).WithEnvironment("FAKE_FFMPEG_FRAMES", "30").WithTimeout(TimeSpan.FromSeconds(60));

    [Fact]
    public async Task Reports_each_progress_line_as_it_streams_and_converts()
    {
        using var result = await Convert("in.mkv", "out.mp4").RunAsync();

        Assert.Equal(0, result.ExitCode);
        var progress = result.Stdout.Text.Split('\n').Where(line => line.StartsWith("progress: ", StringComparison.Ordinal)).ToList();
        Assert.Equal(Enumerable.Range(1, 30).Select(i => $"progress: frame={i,5} "), progress.Select(line => line[..22]));
        Assert.Contains("Output #0, mp4, to 'out.mp4':\n", result.Stdout.Text, StringComparison.Ordinal);
        Assert.Contains("converted in.mkv to out.mp4 in ", result.Stdout.Text, StringComparison.Ordinal);
        Assert.Equal("fake video\n", await File.ReadAllTextAsync(Path.Combine(_directory.Path, "out.mp4")));
    }

    [Fact]
    public async Task Stops_an_encoder_whose_progress_stalls_although_it_still_prints_and_leaves_no_output_file()
    {
        var stopwatch = Stopwatch.StartNew();
        using var result = await Convert("in.mkv", "out.mp4").WithEnvironment("FAKE_FFMPEG_STALL_AT", "12").RunAsync();

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("convert: stalled: no progress for 1 s after 'frame=   12 ", result.Stderr.Text, StringComparison.Ordinal);
        Assert.EndsWith("'; the encoder was stopped\n", result.Stderr.Text, StringComparison.Ordinal);
        Assert.Contains("progress: frame=   12 ", result.Stdout.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("frame=   13", result.Stdout.Text, StringComparison.Ordinal);
        Assert.Contains("[matroska] Read error, retrying\n", result.Stdout.Text, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_directory.Path, "out.mp4")));
        Assert.InRange(stopwatch.Elapsed, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(15));
    }

    [Fact]
    public async Task Says_so_when_the_encoder_is_missing()
    {
        using var result = await new Command(RepositoryFiles.BuiltProgram("samples/Timebox.Samples.Convert"), "--encoder", "no-such-encoder", "in.mkv", "out.mp4")
            .WithWorkingDirectory(_directory.Path).WithTimeout(TimeSpan.FromSeconds(60)).RunAsync();

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("convert: ", result.Stderr.Text, StringComparison.Ordinal);
        Assert.Contains("no-such-encoder", result.Stderr.Text, StringComparison.Ordinal);
    }

    public void Dispose() => _directory.Dispose();
}
