using System.Diagnostics;
using BenchmarkDotNet.Attributes;

namespace Timebox.Benchmarks;

/// <summary>Running /bin/true to the end, in-process: the blocking and asynchronous runs against System.Diagnostics.Process.</summary>
[ShortInProcess]
[MemoryDiagnoser]
public class RunBenchmarks
{
    private readonly Command _true = new("/bin/true");

    [Benchmark(Baseline = true)]
    public int ProcessStartWaitForExit()
    {
        using var process = Process.Start(new ProcessStartInfo("/bin/true") { UseShellExecute = false })!;
        process.WaitForExit();
        return process.ExitCode;
    }

    [Benchmark]
    public int? TimeboxRun() => _true.Run().ExitCode;

    [Benchmark]
    public async Task<int?> TimeboxRunAsync() => (await _true.RunAsync()).ExitCode;
}
