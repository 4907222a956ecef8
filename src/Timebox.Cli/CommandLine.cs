namespace Timebox.Cli;

/// <summary>Turns the arguments into <see cref="CliOptions"/>, or tells Main to print help or the version.</summary>
internal static class CommandLine
{
    public enum Request { Run, Help, Version }

    private static readonly OptionSpec KillAfter = new("kill-after", 'k', TakesValue: true);
    private static readonly OptionSpec SignalOption = new("signal", 's', TakesValue: true);
    private static readonly OptionSpec Verbose = new("verbose", 'v', TakesValue: false);
    private static readonly OptionSpec Foreground = new("foreground", 'f', TakesValue: false);
    private static readonly OptionSpec PreserveStatus = new("preserve-status", 'p', TakesValue: false);
    private static readonly OptionSpec Help = new("help", null, TakesValue: false);
    private static readonly OptionSpec Version = new("version", null, TakesValue: false);
    private static readonly OptionSpec IdleTimeout = new("idle-timeout", null, TakesValue: true);
    private static readonly OptionSpec Report = new("report", null, TakesValue: true);
    private static readonly OptionSpec GroupOnly = new("group-only", null, TakesValue: false);

    private static readonly OptionSpec[] All = [KillAfter, SignalOption, Verbose, Foreground, PreserveStatus, Help, Version, IdleTimeout, Report, GroupOnly];

    /// <summary>Parses in order, as getopt does: --help or --version acts as soon as it is met, before later errors.</summary>
    public static Request Parse(IReadOnlyList<string> args, out CliOptions options)
    {
        var parsed = new CliOptions();
        Request? early = null;
        var firstOperand = GnuOptionParser.Parse(args, All, (option, value) =>
        {
            if (early is not null) return;
            if (option == KillAfter) parsed.KillAfter = DurationParser.Parse(value!);
            else if (option == SignalOption) parsed.Signal = ParseSignal(value!);
            else if (option == Verbose) parsed.Verbose = true;
            else if (option == Foreground) parsed.Foreground = true;
            else if (option == PreserveStatus) parsed.PreserveStatus = true;
            else if (option == IdleTimeout) parsed.IdleTimeout = DurationParser.Parse(value!);
            else if (option == Report) parsed.ReportPath = value!.Length > 0 ? value : throw new UsageException("invalid report file ''");
            else if (option == GroupOnly) parsed.GroupOnly = true;
            else if (option == Help) early = Request.Help;
            else if (option == Version) early = Request.Version;
        });
        options = parsed;
        if (early is { } request) return request;

        var operands = args.Count - firstOperand;
        if (operands == 0) throw new UsageException("missing operand");
        if (operands == 1) throw new UsageException($"missing operand after {Quoting.Quote(args[firstOperand])}");
        parsed.Duration = DurationParser.Parse(args[firstOperand]);
        parsed.Command = args.Skip(firstOperand + 1).ToArray();
        return Request.Run;
    }

    /// <summary>A signal as kill accepts it: a number, or a name with or without SIG in any case (HUP, sigterm, RTMIN+2).</summary>
    private static int ParseSignal(string operand)
    {
        if (Signals.TryParse(operand, out var signal)) return signal;
        throw new UsageException($"{Quoting.Quote(operand)}: invalid signal");
    }
}
