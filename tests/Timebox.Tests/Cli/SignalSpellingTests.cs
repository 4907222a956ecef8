using System.Globalization;
using System.Text.RegularExpressions;
using Timebox.Tests.Support;

namespace Timebox.Tests.Cli;

/// <summary>
/// <c>-s SIGNAL</c> with every spelling in <see cref="SignalSpellings"/>, run through timebox and GNU timeout and compared
/// case by case. Each tool runs the spellings in a few shell loops at once (one process per spelling would make the
/// test as slow as a thousand test cases).
/// It runs in the serial collection: its two thousand short runs would load the machine under every timing bound of the
/// tests beside it.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed partial class SignalSpellingTests : CliTest
{
    [Fact]
    public async Task Every_spelling_is_accepted_or_refused_as_GNU_timeout_does_with_the_same_message()
    {
        var spellings = SignalSpellings.All;
        string[] CommandFor(string spelling) => ["-s", spelling, "10", "true"];
        var results = await Task.WhenAll(RunEachAsync("timebox", spellings, CommandFor), RunEachAsync("timeout", spellings, CommandFor));
        var (ours, gnu) = (results[0], results[1]);

        var differences = spellings.Select((spelling, i) => (spelling, ours: ours[i], gnu: gnu[i]))
            .Where(c => c.ours != c.gnu).Select(c => $"{c.spelling}: timebox {c.ours}, GNU {c.gnu}").ToList();
        Assert.True(differences.Count == 0, $"{differences.Count} of {spellings.Count} spellings differ:\n{string.Join('\n', differences.Take(40))}");

        // The spellings' meanings, which the library test relies on, are what GNU accepts.
        var misjudged = spellings.Select((spelling, i) => (spelling, accepted: gnu[i].Status == 0))
            .Where(c => c.accepted != c.spelling.Meaning.HasValue).Select(c => $"{c.spelling}: GNU accepted={c.accepted}").ToList();
        Assert.True(misjudged.Count == 0, $"meanings GNU disagrees with:\n{string.Join('\n', misjudged)}");
        Assert.InRange(gnu.Count(result => result.Status == 0), 400, spellings.Count - 200);
    }

    [Fact]
    public async Task The_signal_sent_and_its_name_in_verbose_messages_are_GNUs_for_every_signal()
    {
        // One spelling per signal, taking each spelling style in turn. STOP is left out: GNU sends it to its own group and
        // stops itself for good. With a deadline of 0.05 s instead of 0.5, on a heavily loaded machine, about one run of
        // timebox in a few hundred said it sent a real-time signal (RTMAX-7) and the sleep ran on until the KILL; not
        // reproduced in 240 runs on their own, not understood yet (issue 14).
        var sample = SignalSpellings.All.Where(s => s.Meaning is { } meaning && meaning != 19)
            .GroupBy(s => s.Meaning!.Value).Select(group => group.ElementAt(group.Key % group.Count())).ToList();
        string[] CommandFor(string spelling) => ["-v", "--preserve-status", "-s", spelling, "-k", "0.3", "0.5", "sleep", "10"];

        var results = await Task.WhenAll(RunEachAsync("timebox", sample, CommandFor), RunEachAsync("timeout", sample, CommandFor));

        // Ours ends the verbose output with a summary line GNU does not print: compare the lines naming the signals sent.
        // Signal 0 is "0" in them, as coreutils prints it since 9.10 (its timeout.sh expects it); Debian's 9.1 says EXIT.
        static ProbeResult SignalsSent(ProbeResult result) => result with
        {
            Diagnostics = string.Join('\n', result.Diagnostics.Split('\n').Where(line => line.StartsWith("TOOL: sending signal", StringComparison.Ordinal)))
                .Replace("sending signal EXIT ", "sending signal 0 ", StringComparison.Ordinal),
        };
        var differences = sample.Select((spelling, i) => (spelling, ours: SignalsSent(results[0][i]), gnu: SignalsSent(results[1][i])))
            .Where(c => c.ours != c.gnu).Select(c => $"{c.spelling}: timebox {c.ours}, GNU {c.gnu}").ToList();
        Assert.True(differences.Count == 0, $"{differences.Count} of {sample.Count} signals differ:\n{string.Join('\n', differences)}");
        Assert.Equal(62, sample.Count);
        Assert.Contains(results[1], result => result.Status == 128 + 35);
    }

    /// <summary>What one run ended with: the shell's status, and stderr with the tool's name made neutral.</summary>
    public sealed record ProbeResult(int Status, string Diagnostics)
    {
        public override string ToString() => $"status {Status}, stderr \"{Diagnostics.ReplaceLineEndings("\\n")}\"";
    }

    /// <summary>Runs TOOL with the arguments <paramref name="command"/> gives for each spelling, in four shell loops at once.</summary>
    private async Task<IReadOnlyList<ProbeResult>> RunEachAsync(string tool, IReadOnlyList<SignalSpelling> spellings, Func<string, string[]> command)
    {
        const int Loops = 4;
        var chunks = spellings.Chunk((spellings.Count + Loops - 1) / Loops).ToList();
        var outputs = await Task.WhenAll(chunks.Select(chunk => RunLoopAsync(tool, chunk.Select(s => command(s.Text)).ToList())));
        var results = outputs.SelectMany(output => ParseLoopOutput(output, tool)).ToList();
        Assert.Equal(spellings.Count, results.Count);
        return results;
    }

    // One shell runs them all, each with the same number of arguments; core dumps are off for the signals that dump.
    // It runs in a directory of its own, so that whatever it started and left alive can be found and reported.
    private async Task<string> RunLoopAsync(string tool, IReadOnlyList<string[]> runs)
    {
        var per = runs[0].Length;
        var arguments = string.Join(' ', Enumerable.Range(1, per).Select(i => $"\"${{{i}}}\""));
        var script = $"ulimit -c 0; tool=$1; shift\nwhile [ $# -gt 0 ]; do \"$tool\" {arguments} 2>&1 </dev/null; echo \"<$?>\"; shift {per}; done\n";
        var directory = Directory.CreateTempSubdirectory("timebox-signals-");
        try
        {
            var result = await Program("sh", ["-c", script, "sh", PathOf(tool), .. runs.SelectMany(run => run)])
                .WithWorkingDirectory(directory.FullName).WithEnvironment("LC_ALL", "C").WithTimeout(TimeSpan.FromMinutes(3)).RunAsync();
            Assert.True(result.ExitCode == 0, $"the loop over {tool} failed: {result.Stderr.Text}");
            Assert.Empty(Proc.KillSurvivorsIn(directory.FullName));
            return result.Stdout.Text;
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static IEnumerable<ProbeResult> ParseLoopOutput(string output, string tool)
    {
        foreach (Match run in LoopRecord().Matches(output))
            yield return new ProbeResult(int.Parse(run.Groups[2].Value, CultureInfo.InvariantCulture), Diagnostics(run.Groups[1].Value, tool));
    }

    [GeneratedRegex(@"\G(.*?)<(\d+)>\n", RegexOptions.Singleline)]
    private static partial Regex LoopRecord();
}
