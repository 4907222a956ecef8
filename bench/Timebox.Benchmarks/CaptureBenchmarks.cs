using BenchmarkDotNet.Attributes;
using Timebox.Output;
using Timebox.Platform.Unix;

namespace Timebox.Benchmarks;

/// <summary>Taking 64 MiB in 64 KiB reads into memory: Timebox's capture (read straight into its chunks) against a MemoryStream.</summary>
[ShortInProcess]
[MemoryDiagnoser]
public class CaptureBenchmarks
{
    private const int Total = 64 << 20, Read = 1 << 16;
    private readonly byte[] _read = new byte[Read];

    [Benchmark(Baseline = true)]
    public long MemoryStreamWrite()
    {
        using var stream = new MemoryStream();
        for (var i = 0; i < Total / Read; i++) stream.Write(_read);
        return stream.Length;
    }

    [Benchmark]
    public long TimeboxCaptureBuffer()
    {
        var capture = new CaptureBuffer(limit: null, spillThreshold: null, Path.GetTempPath(), UnixSpillFiles.Instance, OutputSource.Stdout);
        long total = 0;
        while (total < Total)
        {
            var span = capture.GetSpan();
            var n = Math.Min(span.Length, Read);
            _read.AsSpan(0, n).CopyTo(span);
            capture.Advance(n);
            total += n;
        }
        return capture.TakeContent().Length;
    }
}
