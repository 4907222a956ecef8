namespace Timebox.Cli;

/// <summary>
/// The arguments of `timebox [OPTION]... DURATION COMMAND [ARG]...`, GNU timeout's: turns them into <see cref="CliOptions"/>,
/// or tells Main to print help or the version.
/// </summary>
internal static class TimeoutArguments
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

        // GNU says nothing but the "Try" line here.
        if (args.Count - firstOperand < 2) throw new UsageException(null);
        parsed.Duration = DurationParser.Parse(args[firstOperand]);
        parsed.Command = args.Skip(firstOperand + 1).ToArray();
        return Request.Run;
    }

    /// <summary>
    /// A signal as GNU's operand2sig takes it: a name as <see cref="Signals.TryParse"/> reads it (HUP, sigterm, SIG15,
    /// RTMIN+2, EXIT for 0), or, when it starts with a digit, a number read as a shell's exit status may carry it.
    /// </summary>
    private static int ParseSignal(string operand)
    {
        var parsed = operand.Length > 0 && char.IsAsciiDigit(operand[0])
            ? TryParseStatus(operand, out var signal)
            : Signals.TryParse(operand, out signal);
        return parsed ? signal : throw new UsageException($"{Quoting.Quote(operand)}: invalid signal");
    }

    /// <summary>
    /// GNU masks a number that fits an int with 0x7F, or with 0xFF from 255 on, so that a status a shell reports
    /// for a signal names that signal: 137 (bash, 128+9) and 265 (ksh, 256+9) mean KILL, 128 and 256 mean 0.
    /// </summary>
    private static bool TryParseStatus(string digits, out int signal)
    {
        signal = 0;
        long number = 0;
        foreach (var digit in digits)
        {
            if (!char.IsAsciiDigit(digit)) return false;
            number = Math.Min((number * 10) + (digit - '0'), int.MaxValue + 1L);
        }
        if (number > int.MaxValue) return false;
        var status = (int)number;
        signal = status & (status >= 0xFF ? 0xFF : 0x7F);
        return Signals.IsNamed(signal);
    }
}
