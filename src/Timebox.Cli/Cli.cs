using System.Globalization;

namespace Timebox.Cli
{
    /// <summary>The timebox command: parse, supervise, report, and exit (or die) with GNU timeout's status.</summary>
    internal static class Cli
    {
        internal const int TimedOutStatus = 124, FailedStatus = 125, CannotInvokeStatus = 126, NotFoundStatus = 127;

        public static int Main(string[] args)
        {
            // Read before anything else changes signal state.
            var inherited = InheritedSignals.Read();
            // GNU timeout needs a DURATION first and "batch" is none (GNU: "invalid time interval"), so as the very first
            // argument the word is free to name the subcommand. A command called batch runs as always: `timebox 5 batch`.
            if (args.Length > 0 && args[0] == "batch")
                return BatchHost.InProcess ? BatchCommand.Run(args.AsSpan(1).ToArray(), inherited) : BatchHost.Exec();
            if (args.Length > 0 && args[0] == "worker") return DistributedHost.Exec();
            OpenFilesLimit.RaiseIfLow();
            CliOptions options;
            try
            {
                switch (TimeoutArguments.Parse(args, out options))
                {
                    case TimeoutArguments.Request.Help:
                        return Messages.Out(Messages.Help) ? 0 : FailedStatus;
                    case TimeoutArguments.Request.Version:
                        return Messages.Out(Messages.Version) ? 0 : FailedStatus;
                }
            }
            catch (UsageException exception)
            {
                if (exception.Diagnostic is { } diagnostic) Messages.Error(diagnostic);
                Messages.TryHelp();
                return FailedStatus;
            }

            ReportFile? report = null;
            if (options.ReportPath is { } reportPath && (report = ReportFile.Prepare(reportPath, "cannot write report")) is null) return FailedStatus;

            SupervisorResult result;
            try
            {
                result = new Supervisor(options, inherited).Run();
            }
            catch (Exception exception) when (exception is IOException or InvalidOperationException)
            {
                // timebox's own failure (a descriptor or the memory for its loop ran out): GNU timeout's status for its own errors.
                Messages.Error(exception.Message);
                report?.Dispose();
                return FailedStatus;
            }
            var (status, dieOf) = ExitStatusOf(result, options);
            if (options.Verbose) Messages.Error(Summary(result, status));
            // A report that cannot be written at the end (a full disk) is said on stderr; the status stays the command's.
            if (report is not null)
            {
                using (report) WriteReport(report, result, options, status);
            }
            if (dieOf is { } signal) HostProcess.DieOf(signal);
            return status;
        }

        /// <summary>GNU timeout's exit status, and the signal it would die of to pass the command's death on to a parent shell.</summary>
        private static (int Status, int? DieOf) ExitStatusOf(SupervisorResult result, CliOptions options)
        {
            if (result.StartError is { } error)
            {
                Messages.Error($"failed to run command {Quoting.Quote(options.Command[0])}: {error.Reason}");
                return (error.OwnFailure ? FailedStatus : error.NotFound ? NotFoundStatus : CannotInvokeStatus, null);
            }
            int? dieOf = null;
            var preserveStatus = options.PreserveStatus;
            int status;
            if (result.Status.ExitCode is { } code)
            {
                status = code;
            }
            else if (result.Status.Signal is { } signal)
            {
                if (result.Status.CoreDumped) Messages.Error("the monitored command dumped core");
                if (!result.TimedOut) dieOf = signal;
                // Lets a caller tell a command killed by the timeout's KILL from one that timed out gracefully (as GNU).
                if (result.TimedOut && signal == Signals.Kill) preserveStatus = true;
                status = 128 + signal;
            }
            else
            {
                Messages.Error("the command's exit status was lost: another process reaped it and this kernel keeps no copy");
                status = FailedStatus;
            }
            if (result.TimedOut && !preserveStatus) status = TimedOutStatus;
            // GNU timeout sends SIGKILL to its whole process group, itself included, and so dies of it.
            if (result.KilledOwnGroup) dieOf = Signals.Kill;
            return (status, dieOf);
        }

        private static string Summary(SupervisorResult result, int status)
        {
            var how = result.Status switch
            {
                { ExitCode: { } code } => $"command exited with {Number(code)}",
                { Signal: { } signal } => $"command killed by {Signals.NameOf(signal)}",
                _ when result.StartError is not null => "command did not start",
                _ => "command status lost",
            };
            // Formatted piece by piece: interpolation with a format provider would pull reflection into the binary.
            var peakMiB = (result.Usage.PeakRssBytes / (1024.0 * 1024.0)).ToString("0.0", CultureInfo.InvariantCulture);
            return $"{result.OutcomeName} after {Seconds(result.Duration)}s ({how}, exit status {Number(status)}{(result.ForcefullyKilled ? ", forced with KILL" : "")}); " +
                $"cpu {Seconds(result.Usage.User)}s user, {Seconds(result.Usage.System)}s system; " +
                $"peak memory {peakMiB} MiB; {Number(result.SignaledProcesses)} processes signalled";
        }

        private static string Seconds(TimeSpan time) => time.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture);

        private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);

        private static void WriteReport(ReportFile file, SupervisorResult result, CliOptions options, int status)
        {
            var report = new RunReport(
                options.Command, result.OutcomeName, result.Status.ExitCode, result.Status.Signal, result.ForcefullyKilled, result.StartedAt,
                Math.Round(result.Duration.TotalMilliseconds, 3), Math.Round(result.Usage.User.TotalMilliseconds, 3),
                Math.Round(result.Usage.System.TotalMilliseconds, 3), result.Usage.PeakRssBytes, result.SignaledProcesses, status,
                result.StartError?.Reason);
            using var content = new MemoryStream();
            report.WriteTo(content);
            content.WriteByte((byte)'\n');
            file.Write(content.GetBuffer().AsSpan(0, (int)content.Length));
        }
    }
}
