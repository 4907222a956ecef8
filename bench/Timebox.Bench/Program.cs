using System.Diagnostics;
using System.Globalization;
using System.Text;
using Timebox;
using Timebox.Bench;

// Whole-process harness: every row runs its competitors side by side in the same run, interleaved round by round so
// that the machine's noise falls on all of them alike, and reports medians and ratios to the C baseline.
// Usage: Timebox.Bench BASELINE_BINARY PYTHON_SCRIPT|- OUTPUT.md [--quick] [--only ROW[,ROW...]]   ("-": no python3 on
// this machine; rows: true, echo, parallel, precision, wave, sleeps, treekill, discard, capture)
if (args.Length < 3)
{
    Console.Error.WriteLine("usage: Timebox.Bench BASELINE_BINARY PYTHON_SCRIPT|- OUTPUT.md [--quick] [--only ROW[,ROW...]]");
    return 2;
}
var baseline = args[0];
var python = args[1] == "-" ? null : args[1];
var output = args[2];
var quick = args.Contains("--quick");
var only = args.SkipWhile(arg => arg != "--only").Skip(1).FirstOrDefault()?.Split(',');
bool Selected(string row) => only is null || only.Contains(row);
// The sequential rows alternate often (short rounds), so that the machine's drift over minutes falls on every
// competitor alike; the heavier rows take a few long rounds.
var (rounds, perRound) = quick ? (2, 10) : (40, 25);
var heavyRounds = quick ? 2 : 3;
var (parallelRounds, parallelWarmUpRounds) = quick ? (2, 0) : (5, 4);
var warmUpRuns = quick ? 1 : 50;

var report = new StringBuilder();
report.AppendLine(CultureInfo.InvariantCulture, $"Measured {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC on {Environment.ProcessorCount} cores; sequential rows: {rounds} rounds of {perRound} runs per competitor (interleaved), parallel row: {parallelWarmUpRounds} warm-up and {parallelRounds} measured rounds; other rows: {heavyRounds} rounds.");
report.AppendLine();

if (Selected("true")) await SequentialRow("run `/bin/true` and wait, sequentially", "true", competitor => competitor.RunTrue());
if (Selected("echo"))
{
    await SequentialRow("run `echo hello`, capture stdout as text", "echo", async competitor =>
    {
        var text = await competitor.CaptureEcho();
        if (text != "hello\n") throw new InvalidOperationException($"{competitor.Name} captured '{text}'");
    });
}
if (Selected("parallel")) await ParallelRow(quick ? 200 : 2000, 32);
if (Selected("precision")) await TimeoutPrecisionRow(quick ? 5 : 200);
if (Selected("wave"))
{
    await TimeoutWaveRow(quick ? 20 : 200);
    if (!quick) await TimeoutWaveRow(1000);
}
if (Selected("sleeps")) await ConcurrentSleepsRow(quick ? 100 : 1000);
if (Selected("treekill")) await TreeKillRow(quick ? 20 : 200);
// The gigabyte rows go last: once this process has held 1 GiB of captured output in memory and let it go, its threads
// stall now and then for tens of milliseconds for as long as it lives (a Thread.Sleep(1) loop, no GC running: p999
// overshoot 4 ms before, 19-28 ms after, max 40-80 ms), which the timing rows above would measure instead of Timebox.
if (Selected("discard")) await DiscardRow(quick ? 64L << 20 : 1L << 30);
if (Selected("capture")) await CaptureRow(quick ? 128L << 20 : 1L << 30);

await File.WriteAllTextAsync(output, report.ToString());
Console.WriteLine(report);
return 0;

async Task SequentialRow(string title, string mode, Func<Competitor, Task> run)
{
    var c = new Samples("C posix_spawn + waitpid" + (mode == "echo" ? " + pipe + read" : ""));
    var py = new Samples("Python 3 subprocess.run");
    var dotnet = Competitors.InProcess.Select(competitor => (competitor, samples: new Samples(competitor.Name))).ToList();
    // Warm-up: first-use costs, and enough calls (tiered JIT recompiles a method after 30) that every competitor is timed
    // in its steady state, as a long-running host sees it. Process ships precompiled in the runtime; the others do not.
    foreach (var (competitor, _) in dotnet)
        for (var i = 0; i < warmUpRuns; i++) await run(competitor);
    for (var round = 0; round < rounds; round++)
    {
        c.AddRange(await External(baseline, mode, perRound));
        foreach (var (competitor, samples) in dotnet)
        {
            for (var i = 0; i < perRound; i++)
            {
                var start = Stopwatch.GetTimestamp();
                await run(competitor);
                samples.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
            }
        }
        if (python is not null) py.AddRange(await External("python3", mode, perRound, python));
    }
    Table(title, "µs per run", [c, .. dotnet.Select(entry => entry.samples), .. python is null ? Array.Empty<Samples>() : [py]], lowerIsBetter: true);
}

async Task ParallelRow(int total, int inFlight)
{
    var c = new Samples("C posix_spawn, 32 in flight");
    var competitors = new (Samples Samples, Func<Task> Run)[]
    {
        (new Samples("Timebox RunAsync, 32 in flight"), () => new Command("/bin/true").RunAsync()),
        (new Samples("Timebox RunAsync, pipes only where C has them (none), 32 in flight"),
            () => new Command("/bin/true").WithStdout(OutputTarget.Inherit).WithStderr(OutputTarget.Inherit).RunAsync()),
        (new Samples("System.Diagnostics.Process, 32 in flight"), () => Task.Run(() =>
        {
            using var child = Process.Start(new ProcessStartInfo("/bin/true") { UseShellExecute = false })!;
            child.WaitForExit();
        })),
        // The Process row's own pattern, a blocking wait inside Task.Run, with Timebox's blocking Run: a call's spawn, wait
        // and the next call stay on one pool thread, where RunAsync hands each exit from the loop thread to a pool thread
        // that has gone idle. The pool kept 3 threads, so at most 3 of the 32 calls were past the spawn at once.
        (new Samples("Timebox Run inside Task.Run (the Process row's pattern), 32 in flight"), () => Task.Run(() => new Command("/bin/true").Run())),
        (new Samples("CliWrap ExecuteAsync, 32 in flight"), Competitors.RunCliWrapTrue),
    };
    // Warm-up: alone in a fresh process, both Timebox and Process got 15-35% faster over their first 8,000 runs at this
    // concurrency (JIT tiering of the concurrent paths, the thread pool settling), so three cold rounds timed the ramp.
    foreach (var (_, run) in competitors)
        for (var i = 0; i < parallelWarmUpRounds; i++) await RunsPerSecond(total, inFlight, run);
    for (var round = 0; round < parallelRounds; round++)
    {
        c.AddRange(await External(baseline, "parallel", total, extra: inFlight.ToString(CultureInfo.InvariantCulture)));
        foreach (var (samples, run) in competitors) samples.Add(await RunsPerSecond(total, inFlight, run));
    }
    Table($"{total} runs of `/bin/true`, {inFlight} in flight", "runs per second", [c, .. competitors.Select(competitor => competitor.Samples)], lowerIsBetter: false);
}

async Task DiscardRow(long bytes)
{
    var c = new Samples("C read loop, 64 KiB buffer");
    var timebox = new Samples("Timebox OutputTarget.Pipe, StandardOutput stream, 64 KiB reads");
    var chunks = new Samples("Timebox OutputTarget.Pipe, ReadChunksAsync");
    var process = new Samples("System.Diagnostics.Process BaseStream, 64 KiB reads");
    var size = bytes.ToString(CultureInfo.InvariantCulture);
    for (var round = 0; round < heavyRounds; round++)
    {
        c.AddRange(await External(baseline, "discard", bytes));
        timebox.Add(await Throughput(bytes, async () =>
        {
            await using var running = new Command("/usr/bin/head", "-c", size, "/dev/zero").WithStdout(OutputTarget.Pipe).Start();
            var total = await Drain(running.StandardOutput!);
            await running.WaitAsync();
            return total;
        }));
        chunks.Add(await Throughput(bytes, async () =>
        {
            await using var running = new Command("/usr/bin/head", "-c", size, "/dev/zero").WithStdout(OutputTarget.Pipe).Start();
            long total = 0;
            await foreach (var chunk in running.ReadChunksAsync()) total += chunk.Bytes.Length;
            await running.WaitAsync();
            return total;
        }));
        process.Add(await Throughput(bytes, async () =>
        {
            using var child = Process.Start(new ProcessStartInfo("/usr/bin/head", ["-c", size, "/dev/zero"]) { UseShellExecute = false, RedirectStandardOutput = true })!;
            var total = await Drain(child.StandardOutput.BaseStream);
            await child.WaitForExitAsync();
            return total;
        }));
    }
    Table($"{bytes >> 20} MiB of stdout counted and discarded", "MB per second", [c, timebox, chunks, process], lowerIsBetter: false, scale: 1e-6);
}

async Task CaptureRow(long bytes)
{
    var c = new Samples("C read into one growing heap buffer");
    var spilled = new Samples("Timebox Capture (default: spills past 64 MiB)");
    var memory = new Samples("Timebox Capture, WithSpill(null): all in memory");
    var size = bytes.ToString(CultureInfo.InvariantCulture);
    var command = new Command("/usr/bin/head", "-c", size, "/dev/zero");
    long spillRssGrowth = 0;
    for (var round = 0; round < heavyRounds; round++)
    {
        c.AddRange(await External(baseline, "capture", bytes));
        GC.Collect();
        var rssBefore = ProcStatus.Kilobytes("VmRSS");
        using (var peak = new PeakRss())
        {
            spilled.Add(await Throughput(bytes, async () =>
            {
                using var result = await command.RunAsync();
                return result.Stdout.IsSpilled ? result.Stdout.Length : throw new InvalidOperationException("expected a spill");
            }));
            spillRssGrowth = Math.Max(spillRssGrowth, peak.Kilobytes - rssBefore);
        }
        memory.Add(await Throughput(bytes, async () => (await command.WithSpill(null).RunAsync()).Stdout.Length));
        GC.Collect();
    }
    Table($"{bytes >> 20} MiB of stdout captured (host RSS growth while spilling: {spillRssGrowth / 1024.0:0.0} MiB at most)", "MB per second",
        [c, spilled, memory], lowerIsBetter: false, scale: 1e-6);
}

async Task TimeoutPrecisionRow(int runs)
{
    var plain = new Samples("Timebox, `sleep 1000`");
    var holder = new Samples("Timebox, shell whose grandchild holds the pipes");
    var deadline = TimeSpan.FromMilliseconds(200);
    async Task<double> Late(Command command) => (await command.WithTimeout(deadline).RunAsync()).Duration.TotalMilliseconds - deadline.TotalMilliseconds;
    var sleeper = new Command("/bin/sleep", "1000");
    var shell = Command.Shell("sleep 1000 & sleep 1000");
    // Warm-up, as in every row: the first termination of a process compiles the termination path.
    for (var i = 0; i < 3; i++)
    {
        await Late(sleeper);
        await Late(shell);
    }
    for (var i = 0; i < runs; i++)
    {
        plain.Add(await Late(sleeper));
        holder.Add(await Late(shell));
    }
    var survivors = ProcTree.KillSurvivingSleeps("1000");
    report.AppendLine(CultureInfo.InvariantCulture, $"### 200 ms deadline: how late the call returns (ms past the deadline, {runs} runs each; survivors: {survivors})");
    report.AppendLine();
    report.AppendLine("| competitor | median | p99 | max |");
    report.AppendLine("|---|---|---|---|");
    foreach (var samples in new[] { plain, holder })
        report.AppendLine(CultureInfo.InvariantCulture, $"| {samples.Competitor} | {samples.Median:0.0} | {samples.P99:0.0} | {samples.Percentile(1):0.0} |");
    report.AppendLine();
}

async Task TimeoutWaveRow(int runs)
{
    var timebox = new Samples("Timebox RunAsync");
    var baselineKill = new Samples("baseline: Process in its own session, kill(-pgid, TERM) from one thread at the deadline");
    var loopCpu = new List<double>();
    var survivors = 0;
    // Warm-up: the first termination compiles the termination path.
    await TimeoutWave.Timebox(Math.Min(runs, 20));
    survivors += ProcTree.KillSurvivingSleeps("3600");
    for (var round = 0; round < heavyRounds; round++)
    {
        var (late, cpu) = await TimeoutWave.Timebox(runs);
        timebox.AddRange(late);
        loopCpu.Add(cpu);
        survivors += ProcTree.KillSurvivingSleeps("3600");
        baselineKill.AddRange(await TimeoutWave.KillByGroup(runs));
        survivors += ProcTree.KillSurvivingSleeps("3600");
    }
    report.AppendLine(CultureInfo.InvariantCulture,
        $"### {runs} runs of `sh -c '{TimeoutWave.Script}'` whose deadlines pass together: ms past the deadline ({heavyRounds} waves; survivors: {survivors}; event-loop CPU per wave: {string.Join(", ", loopCpu.Select(ms => ms.ToString("0", CultureInfo.InvariantCulture)))} ms)");
    report.AppendLine();
    report.AppendLine("| competitor | median | p99 | max |");
    report.AppendLine("|---|---|---|---|");
    foreach (var samples in new[] { baselineKill, timebox })
        report.AppendLine(CultureInfo.InvariantCulture, $"| {samples.Competitor} | {samples.Median:0.0} | {samples.P99:0.0} | {samples.Percentile(1):0.0} |");
    report.AppendLine();
}

async Task ConcurrentSleepsRow(int count)
{
    var rssBefore = ProcStatus.Kilobytes("VmRSS");
    var start = Stopwatch.GetTimestamp();
    RunResult[] results;
    long peakThreads, peakRss;
    using (var peak = new PeakRss())
    {
        results = await Task.WhenAll(Enumerable.Range(0, count).Select(_ => new Command("/bin/sleep", "1").WithTimeout(TimeSpan.FromSeconds(5)).RunAsync()));
        (peakThreads, peakRss) = (peak.Threads, peak.Kilobytes);
    }
    var elapsed = Stopwatch.GetElapsedTime(start);
    var exited = results.Count(result => result.Outcome == Outcome.Exited && result.ExitCode == 0);
    report.AppendLine(CultureInfo.InvariantCulture, $"### {count} concurrent `sleep 1` with 5 s timeouts (Timebox RunAsync)");
    report.AppendLine();
    report.AppendLine("| completed normally | wall time | peak host threads | host RSS growth |");
    report.AppendLine("|---|---|---|---|");
    report.AppendLine(CultureInfo.InvariantCulture, $"| {exited} of {count} | {elapsed.TotalSeconds:0.00} s | {peakThreads} | {(peakRss - rssBefore) / 1024.0:0.0} MiB |");
    report.AppendLine();
}

async Task TreeKillRow(int descendants)
{
    var script = $"for i in $(seq {descendants}); do sleep 100 & done; wait";
    var timebox = new Samples("Timebox RunningProcess.Kill()");
    var process = new Samples("Process.Kill(entireProcessTree: true)");
    var survivors = new[] { 0, 0 };
    for (var round = 0; round < heavyRounds; round++)
    {
        await using (var running = Command.Shell(script).Start())
        {
            ProcTree.WaitForChildren(running.ProcessId, descendants);
            var start = Stopwatch.GetTimestamp();
            running.Kill();
            await running.WaitAsync();
            timebox.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
            survivors[0] += ProcTree.KillSurvivingSleeps("100");
        }
        using (var child = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", script]) { UseShellExecute = false })!)
        {
            ProcTree.WaitForChildren(child.Id, descendants);
            var start = Stopwatch.GetTimestamp();
            child.Kill(entireProcessTree: true);
            await child.WaitForExitAsync();
            process.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
            survivors[1] += ProcTree.KillSurvivingSleeps("100");
        }
    }
    Table($"kill a tree of {descendants} descendants and wait for the end (survivors: Timebox {survivors[0]}, Process {survivors[1]})", "µs", [process, timebox], lowerIsBetter: true);
}

void Table(string title, string unit, IReadOnlyList<Samples> rows, bool lowerIsBetter, double scale = 1)
{
    var reference = rows[0];
    report.AppendLine(CultureInfo.InvariantCulture, $"### {title}");
    report.AppendLine();
    report.AppendLine(CultureInfo.InvariantCulture, $"| competitor | median ({unit}) | p99 | ratio to the first row (median{(lowerIsBetter ? ", lower is better" : ", higher is better")}) | p99 ratio |");
    report.AppendLine("|---|---|---|---|---|");
    foreach (var row in rows)
    {
        var p99 = lowerIsBetter ? row.P99 : row.Percentile(0.01);
        var referenceP99 = lowerIsBetter ? reference.P99 : reference.Percentile(0.01);
        report.AppendLine(CultureInfo.InvariantCulture,
            $"| {row.Competitor} | {Samples.Format(row.Median * scale)} | {Samples.Format(p99 * scale)} | {Samples.Ratio(row.Median, reference.Median)} | {Samples.Ratio(p99, referenceP99)} |");
    }
    report.AppendLine();
}

static async Task<IEnumerable<double>> External(string program, string mode, long count, string? script = null, string? extra = null)
{
    var arguments = new List<string>();
    if (script is not null) arguments.Add(script);
    arguments.Add(mode);
    arguments.Add(count.ToString(CultureInfo.InvariantCulture));
    if (extra is not null) arguments.Add(extra);
    var result = await new Command(program, arguments).CheckOutputAsync();
    return result.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => double.Parse(line, CultureInfo.InvariantCulture));
}

static async Task<double> RunsPerSecond(int total, int inFlight, Func<Task> run)
{
    var start = Stopwatch.GetTimestamp();
    using var gate = new SemaphoreSlim(inFlight);
    var tasks = Enumerable.Range(0, total).Select(async _ =>
    {
        await gate.WaitAsync();
        try { await run(); }
        finally { gate.Release(); }
    }).ToList();
    await Task.WhenAll(tasks);
    return total / Stopwatch.GetElapsedTime(start).TotalSeconds;
}

static async Task<double> Throughput(long expected, Func<Task<long>> run)
{
    var start = Stopwatch.GetTimestamp();
    var total = await run();
    if (total != expected) throw new InvalidOperationException($"read {total} bytes, expected {expected}");
    return total / Stopwatch.GetElapsedTime(start).TotalSeconds;
}

static async Task<long> Drain(Stream stream)
{
    var buffer = new byte[64 * 1024];
    long total = 0;
    int read;
    while ((read = await stream.ReadAsync(buffer)) > 0) total += read;
    return total;
}
