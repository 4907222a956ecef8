using BenchmarkDotNet.Running;

// Micro benchmarks of the in-process parts, each against the BCL way of doing the same thing. Whole-process rows
// (spawning, capture throughput, C and Python baselines) are in bench/Timebox.Bench.
// Usage: dotnet run -c Release --project bench/Timebox.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
