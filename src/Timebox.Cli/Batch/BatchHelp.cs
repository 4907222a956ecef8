namespace Timebox.Cli;

/// <summary>The text of `timebox batch --help`.</summary>
internal static class BatchHelp
{
    public const string Text = """
        Usage: timebox batch JOBS.jsonl [OPTION]...
          or:  timebox batch JOBS.jsonl --storage CONN [OPTION]...
          or:  timebox batch --collect ID --storage CONN [OPTION]...
        Run every job of JOBS.jsonl (one JSON object a line; - reads standard input),
        at most N at once, each under its own deadline, and append one result line per
        attempt to the results file as each one ends.

        Job fields: id, command (array of strings) or shell (string), and optionally
        timeout, kill_after, idle_timeout (DURATION, as for timebox), cwd, env (object),
        stdin (text). Malformed lines (bad JSON, fields or text: invalid UTF-8, a lone
        surrogate escape, a byte order mark) are reported with their line number and
        skipped.

        Options (before or after JOBS):
          -j, --jobs=N           run at most N jobs at once (default: number of CPUs)
              --results=FILE     append results to FILE (default: JOBS.results.jsonl);
                                   jobs it already records are skipped (resume)
              --output-dir=DIR   where output too large to inline goes
                                   (default: RESULTS.output)
              --inline-limit=BYTES  inline stdout/stderr up to BYTES each (16384)
              --retries=N        retry a job up to N times (default 0) when it ends in
              --retry-on=LIST      one of LIST (default: exited,signaled,timed_out,
                                   idle_timed_out; exited means a non-zero exit)
              --fail-fast        stop at the first job that does not succeed
              --strict           run nothing if any line of JOBS is malformed (status 125)
              --batch-timeout=DURATION  stop the whole batch after DURATION
              --html=FILE        write a self-contained HTML report (timeline, summary)
              --progress=MODE    auto (default: live on a terminal, else one line per
                                   job), live, plain or none
              --help             display this help and exit

        Distributed mode (workers: timebox worker --storage CONN, see its --help):
              --storage=CONN     enqueue the jobs into the PostgreSQL database CONN,
                                   gather their results into the results file as
                                   the workers record them (same schema, resume)
              --queue=NAME       the queue the jobs go to (default: default)
              --no-wait          enqueue and exit; gather later with --collect
              --collect=ID       gather the results of batch ID (no JOBS); with
                                   --no-wait, only what is there now
              --batch-id=ID      name the batch (default: derived from RESULTS and JOBS)
            -j, --fail-fast, --batch-timeout and --output-dir do not apply there.

        Ctrl-C (or TERM, HUP) stops gracefully: no new job starts, running jobs get
        the termination sequence and are recorded as canceled; a second one kills them.
        Re-run the same command to resume.

        Exit status:
          0    every job of JOBS succeeded (exit code 0)
          1    some job did not succeed, or some line was malformed
          124  the batch timeout passed
          125  timebox itself failed (bad option, unreadable jobs, a malformed line
               with --strict, unwritable results)
          128+N  stopped by signal N (130 for Ctrl-C)

        """;
}
