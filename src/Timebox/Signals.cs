using System.Globalization;

namespace Timebox;

/// <summary>POSIX signal numbers (Linux numbering) and the names <c>kill -l</c> uses for them.</summary>
public static class Signals
{
    /// <summary>SIGHUP.</summary>
    public const int Hangup = 1;
    /// <summary>SIGINT.</summary>
    public const int Interrupt = 2;
    /// <summary>SIGQUIT.</summary>
    public const int Quit = 3;
    /// <summary>SIGKILL: cannot be caught or ignored.</summary>
    public const int Kill = 9;
    /// <summary>SIGUSR1.</summary>
    public const int User1 = 10;
    /// <summary>SIGUSR2.</summary>
    public const int User2 = 12;
    /// <summary>SIGPIPE.</summary>
    public const int Pipe = 13;
    /// <summary>SIGALRM.</summary>
    public const int Alarm = 14;
    /// <summary>SIGTERM: the default termination signal.</summary>
    public const int Terminate = 15;
    /// <summary>SIGCONT.</summary>
    public const int Continue = 18;
    /// <summary>SIGSTOP: cannot be caught or ignored.</summary>
    public const int Stop = 19;

    /// <summary>The highest signal number accepted (real-time signals included).</summary>
    public const int Max = 64;

    // SIGRTMIN as glibc gives it to programs (it keeps 32 and 33 for itself).
    private const int RealtimeMin = 34;

    // Every name a signal has on Linux, in gnulib's order (lib/sig2str.c, which GNU timeout and kill use): a number's
    // first name is the one it is printed with (ABRT not IOT, POLL not IO, CHLD not CLD). EXIT is the shells' name for 0.
    private static readonly (int Number, string Name)[] Table =
    [
        (1, "HUP"), (2, "INT"), (3, "QUIT"), (4, "ILL"), (5, "TRAP"), (6, "ABRT"), (8, "FPE"), (9, "KILL"),
        (11, "SEGV"), (7, "BUS"), (13, "PIPE"), (14, "ALRM"), (15, "TERM"), (10, "USR1"), (12, "USR2"), (17, "CHLD"),
        (23, "URG"), (19, "STOP"), (20, "TSTP"), (18, "CONT"), (21, "TTIN"), (22, "TTOU"), (31, "SYS"), (29, "POLL"),
        (26, "VTALRM"), (27, "PROF"), (24, "XCPU"), (25, "XFSZ"), (6, "IOT"), (17, "CLD"), (30, "PWR"), (28, "WINCH"),
        (29, "IO"), (16, "STKFLT"), (0, "EXIT"),
    ];

    /// <summary>
    /// The name of a signal without the SIG prefix, as GNU tools print it ("TERM", "ABRT", "POLL"); real-time signals
    /// from the nearer end ("RTMIN+1", "RTMAX-14"); 0 and numbers with no name (32, 33, 65) as the number's text.
    /// </summary>
    /// <remarks>0 prints as "0", not EXIT, as GNU timeout prints it since coreutils 9.10 (the program does not exit).</remarks>
    public static string NameOf(int signal)
    {
        if (signal != 0)
        {
            foreach (var (number, name) in Table)
                if (number == signal) return name;
        }
        if (signal is < RealtimeMin or > Max) return signal.ToString(CultureInfo.InvariantCulture);
        var fromMin = signal <= RealtimeMin + ((Max - RealtimeMin) / 2);
        var offset = fromMin ? signal - RealtimeMin : signal - Max;
        var end = fromMin ? "RTMIN" : "RTMAX";
        return offset == 0 ? end : end + offset.ToString("+0;-0", CultureInfo.InvariantCulture);
    }

    /// <summary>True if <paramref name="signal"/> has a name: 0 (EXIT), 1–31 and the real-time signals 34–64.</summary>
    public static bool IsNamed(int signal) =>
        signal is >= RealtimeMin and <= Max || Array.Exists(Table, entry => entry.Number == signal);

    /// <summary>
    /// Parses a signal as <c>kill</c> and GNU <c>timeout</c> accept it: a name in any case, with or without the SIG
    /// prefix (<c>TERM</c>, <c>sigterm</c>, <c>Usr1</c>, the aliases <c>IOT</c>, <c>CLD</c>, <c>IO</c>/<c>POLL</c>
    /// and <c>EXIT</c> for 0), <c>RTMIN</c>, <c>RTMIN+n</c>, <c>RTMAX</c>, <c>RTMAX-n</c>, or a decimal number
    /// (<c>15</c>, <c>SIG15</c>). Only named signals parse: 32, 33 and numbers above 64 do not.
    /// </summary>
    /// <remarks>
    /// The rules are gnulib's str2sig with coreutils' case folding, quirks included: the offset after RTMIN/RTMAX is
    /// read as C's strtol reads it (leading blanks and either sign allowed, so <c>RTMIN 1</c>, <c>RTMIN-0</c> and
    /// <c>RTMAX+0</c> parse). Unlike GNU timeout's <c>-s</c>, a number is not read as a shell exit status
    /// (137 is not SIGKILL here).
    /// </remarks>
    public static bool TryParse(string text, out int signal)
    {
        ArgumentNullException.ThrowIfNull(text);
        var name = UpperCaseAscii(text);
        if (!TryParseUpperCase(name, out signal) && !(name.StartsWith("SIG", StringComparison.Ordinal) && TryParseUpperCase(name.AsSpan(3), out signal)))
            return false;
        if (IsNamed(signal)) return true;
        signal = 0;
        return false;
    }

    // Only a-z: case folding must not depend on the culture (Turkish i) and must leave other letters alone, as in C.
    private static string UpperCaseAscii(string text) =>
        string.Create(text.Length, text, static (upper, source) =>
        {
            for (var i = 0; i < source.Length; i++) upper[i] = char.IsAsciiLetterLower(source[i]) ? (char)(source[i] - ('a' - 'A')) : source[i];
        });

    private static bool TryParseUpperCase(ReadOnlySpan<char> name, out int signal)
    {
        signal = 0;
        if (name.Length > 0 && char.IsAsciiDigit(name[0]))
        {
            if (!TryParseStrtol(name, out var number) || number > Max) return false;
            signal = (int)number;
            return true;
        }
        foreach (var (number, entry) in Table)
        {
            if (name.SequenceEqual(entry))
            {
                signal = number;
                return true;
            }
        }
        long offset;
        if (name.StartsWith("RTMIN", StringComparison.Ordinal))
        {
            if (!TryParseStrtol(name[5..], out offset) || offset is < 0 or > Max - RealtimeMin) return false;
            signal = RealtimeMin + (int)offset;
            return true;
        }
        if (name.StartsWith("RTMAX", StringComparison.Ordinal))
        {
            if (!TryParseStrtol(name[5..], out offset) || offset is < RealtimeMin - Max or > 0) return false;
            signal = Max + (int)offset;
            return true;
        }
        return false;
    }

    /// <summary>
    /// What C's strtol(text, &amp;end, 10) with *end == '\0' accepts: blanks, an optional sign, then digits to the end;
    /// an empty text reads as 0 (strtol leaves end at the start, which is the terminator). Saturates instead of overflowing.
    /// </summary>
    private static bool TryParseStrtol(ReadOnlySpan<char> text, out long value)
    {
        value = 0;
        if (text.IsEmpty) return true;
        var i = 0;
        while (i < text.Length && text[i] is ' ' or '\t' or '\n' or '\v' or '\f' or '\r') i++;
        var negative = false;
        if (i < text.Length && text[i] is '+' or '-') negative = text[i++] == '-';
        if (i == text.Length) return false;
        for (; i < text.Length; i++)
        {
            if (!char.IsAsciiDigit(text[i])) return false;
            value = Math.Min((value * 10) + (text[i] - '0'), int.MaxValue + 1L);
        }
        if (negative) value = -value;
        return true;
    }
}
