using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Timebox.Benchmarks;

/// <summary>
/// In this process (no per-benchmark project build, which needs more than the offline package cache) and short: the
/// machine is shared and noisy, so ratios within one run are what count.
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class ShortInProcessAttribute : Attribute, IConfigSource
{
    public IConfig Config { get; } = ManualConfig.CreateEmpty()
        .AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithWarmupCount(3).WithIterationCount(10).WithLaunchCount(1));
}
