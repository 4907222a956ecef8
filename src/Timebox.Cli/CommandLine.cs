using System.Globalization;

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

        // GNU says nothing but the "Try" line here.
        if (args.Count - firstOperand < 2) throw new UsageException(null);
        parsed.Duration = DurationParser.Parse(args[firstOperand]);
        parsed.Command = args.Skip(firstOperand + 1).ToArray();
        return Request.Run;
    }

    /// <summary>
    /// A signal as GNU's operand2sig takes it: a decimal number (a shell status such as 137 means its signal, 9), or a
    /// name in any case with or without SIG (HUP, sigterm, SIG15, RTMIN+2, EXIT for 0).
    /// </summary>
    private static int ParseSignal(string operand)
    {
        int signal;
        if (operand.Length > 0 && char.IsAsciiDigit(operand[0]))
        {
            if (!int.TryParse(operand, NumberStyles.None, CultureInfo.InvariantCulture, out signal)) signal = -1;
            else signal &= signal >= 0xFF ? 0xFF : 0x7F;
        }
        else
        {
            var name = operand.ToUpperInvariant();
            var bare = name.StartsWith("SIG", StringComparison.Ordinal) ? name[3..] : name;
            if (bare == "EXIT") signal = 0;
            else if (bare.Length > 0 && bare.All(char.IsAsciiDigit) && name != bare) signal = int.TryParse(bare, NumberStyles.None, CultureInfo.InvariantCulture, out var number) ? number : -1;
            else if (!bare.Any(char.IsAsciiDigit) || bare.StartsWith("RT", StringComparison.Ordinal)) signal = Signals.TryParse(bare, out var named) ? named : -1;
            else signal = -1;
        }
        if (signal is >= 0 and <= Signals.Max) return signal;
        throw new UsageException($"{Quoting.Quote(operand)}: invalid signal");
    }
}
