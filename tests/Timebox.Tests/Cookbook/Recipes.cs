namespace Timebox.Tests.Cookbook;

/// <summary>
/// The C# snippets of docs/cookbook.md: each region below appears there verbatim under its name
/// (<see cref="CookbookDocTests"/> checks it), and <see cref="RecipeTests"/> runs each one.
/// </summary>
public static class Recipes
{
    #region run-with-timeout
    // Command(cmd).run(timeout): a thread, thread.join(timeout), process.terminate()
    public static RunResult RunWithTimeout(Command cmd, TimeSpan timeout)
    {
        RunResult result = cmd.WithTimeout(timeout).Run();
        // result.Outcome: Exited or TimedOut; result.Signal: 15 (Python's -15), or 9 when SIGTERM was not enough
        return result;
    }
    #endregion

    #region check-output
    // output = check_output(cmd, stderr=STDOUT, timeout=seconds)
    public static string CheckOutput(Command cmd, TimeSpan timeout) =>
        cmd.WithStderrMerged().WithTimeout(timeout).CheckOutput();
    #endregion

    #region timer-kill
    // run(cmd, timeout_sec) -> (returncode, stdout, stderr, timed_out), with threading.Timer(timeout_sec, proc.kill)
    public static (int? ExitCode, string Stdout, string Stderr, bool TimedOut) RunWithTimer(Command cmd, TimeSpan timeout)
    {
        using RunResult r = cmd.WithTimeout(timeout).Run();
        return (r.ExitCode, r.Stdout.Text, r.Stderr.Text, r.Outcome == Outcome.TimedOut);
    }
    #endregion

    #region alarm
    // signal.alarm(timeout) around communicate(): one alarm per process, main thread only
    public static RunResult[] RunEach(IReadOnlyList<Command> commands, TimeSpan timeout)
    {
        var results = new RunResult[commands.Count];
        Parallel.For(0, commands.Count, i => results[i] = commands[i].WithTimeout(timeout).Run());
        return results;
    }
    #endregion

    #region tree-kill
    // thread.join(timeout); kill_proc_tree(os.getpid(), including_parent=False)   (psutil)
    public static RunResult RunContained(Command cmd, TimeSpan timeout) =>
        cmd.WithContainment().WithTimeout(timeout).Run();
    #endregion

    #region spill
    // stdout=SpooledTemporaryFile(), stderr=SpooledTemporaryFile(), poll() once a second until the timeout
    public static RunResult RunWithBigOutput(Command cmd, TimeSpan timeout) =>
        cmd.WithSpill(thresholdBytes: 1 << 20).WithTimeout(timeout).Run();  // past 1 MiB a stream goes to an unnamed temp file
    #endregion

    #region stream
    // a select() loop over proc.stdout and proc.stderr, reading what is there until the deadline
    public static async Task<RunResult> StreamWithDeadline(Command cmd, TimeSpan timeout, Action<OutputLine> onLine)
    {
        await using RunningProcess process = cmd
            .WithStdout(OutputTarget.Pipe).WithStderr(OutputTarget.Pipe)
            .WithTimeout(timeout)
            .Start();
        await foreach (OutputLine line in process.ReadLinesAsync())
            onLine(line);                // line.Source: Stdout or Stderr
        return await process.WaitAsync();
    }
    #endregion

    #region partial-output
    // try: run(cmd, capture_output=True, timeout=20) except TimeoutExpired as e: print(e.output)
    public static async Task<string?> OutputBeforeTimeout(Command cmd, TimeSpan timeout)
    {
        try
        {
            await cmd.WithTimeout(timeout).CheckOutputAsync();
            return null;
        }
        catch (CommandTimeoutException e)
        {
            return e.StandardOutput;     // text; e.Result.Stdout.ToArray() for the bytes
        }
    }
    #endregion

    #region wait-or-terminate
    // results = pipe.waitOrTerminate(timeout): returnCode and actionTaken   (subprocess2)
    public static string WaitOrTerminate(Command cmd, TimeSpan timeout, TimeSpan grace)
    {
        using RunResult r = cmd.WithTimeout(timeout).WithGracePeriod(grace).Run();
        if (r.Outcome != Outcome.TimedOut) return $"completed, exit code {r.ExitCode}";
        return r.ForcefullyKilled ? "terminated, then killed" : "terminated";
    }
    #endregion

    #region pool
    // with Pool(4) as p: p.map(run_job, jobs), each job Popen(...).wait(timeout=15) then kill
    public static async Task<Dictionary<string, Outcome?>> RunPool(
        IEnumerable<(string Id, Command Cmd)> jobs, int workers, TimeSpan timeoutPerJob)
    {
        var runner = new BatchRunner(new BatchOptions { MaxParallelism = workers });
        var outcomes = new Dictionary<string, Outcome?>();
        await foreach (BatchResult r in runner.RunAsync(jobs.Select(j => new BatchJob(j.Id, j.Cmd.WithTimeout(timeoutPerJob)))))
        {
            using (r.Result)
                outcomes[r.Job.Id] = r.Result?.Outcome;   // null: it could not start (r.StartError says why)
        }
        return outcomes;
    }
    #endregion

    #region idle
    // kill ffmpeg when `for line in process.stdout` has seen no progress for 10 s   (TTLOrderedDict + a watcher thread)
    public static async Task<RunResult> Transcode(Command ffmpeg, TimeSpan stall, Action<string> onProgress)
    {
        await using RunningProcess process = ffmpeg
            .WithStdout(OutputTarget.Pipe).WithStderrMerged()
            .WithIdleTimeout(stall, line => line.StartsWith("frame=", StringComparison.Ordinal))
            .Start();
        await foreach (OutputLine line in process.ReadLinesAsync())
            onProgress(line.Text);       // "\r" ends a line too: each progress update arrives as it is drawn
        return await process.WaitAsync();  // Outcome.IdleTimedOut when progress stalled
    }
    #endregion

    #region taskkill
    // subprocess.Popen("TASKKILL /F /T /PID %i" % p.pid) once the timeout passed
    public static RunResult RunThenKillTree(Command cmd, TimeSpan timeout) =>
        cmd.WithTimeout(timeout).WithGracePeriod(TimeSpan.Zero).Run();   // no grace: straight to the kill, as /F
    #endregion

    #region async
    // await asyncio.wait_for(proc.communicate(), timeout)   (or gevent's p.communicate(timeout=timeout))
    public static Task<RunResult> RunAsync(Command cmd, TimeSpan timeout, CancellationToken cancellationToken) =>
        cmd.WithTimeout(timeout).RunAsync(cancellationToken);   // canceling runs the termination sequence too
    #endregion
}
