using System.Text;
using BenchmarkDotNet.Attributes;
using Timebox.Output;

namespace Timebox.Benchmarks;

/// <summary>Splitting 4 MiB of 64-byte lines that arrive in 64 KiB reads: Timebox's splitter against StreamReader.ReadLine.</summary>
[ShortInProcess]
[MemoryDiagnoser]
public class LineSplittingBenchmarks
{
    private readonly byte[] _text = Enumerable.Range(0, 1 << 16).SelectMany(i => Encoding.UTF8.GetBytes($"{i,10} lorem ipsum dolor sit amet, consectetur adipiscing\n")).ToArray();

    [Benchmark(Baseline = true)]
    public int StreamReaderReadLine()
    {
        using var reader = new StreamReader(new MemoryStream(_text), Encoding.UTF8, false, 1 << 16);
        var count = 0;
        while (reader.ReadLine() is not null) count++;
        return count;
    }

    [Benchmark]
    public int TimeboxLineSplitter()
    {
        var splitter = new LineSplitter(Encoding.UTF8);
        var lines = new List<(string Text, LineEnding Ending)>();
        var count = 0;
        for (var offset = 0; offset < _text.Length; offset += 1 << 16)
        {
            splitter.Push(_text.AsSpan(offset, Math.Min(1 << 16, _text.Length - offset)), lines);
            count += lines.Count;
            lines.Clear();
        }
        splitter.Finish(lines);
        return count + lines.Count;
    }
}
