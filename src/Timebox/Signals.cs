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

    private static readonly string[] Names =
    [
        "0", "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2", "PIPE",
        "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU", "XFSZ",
        "VTALRM", "PROF", "WINCH", "POLL", "PWR", "SYS",
    ];

    /// <summary>The highest signal number accepted (real-time signals included).</summary>
    public const int Max = 64;

    // SIGRTMIN as glibc gives it to programs (it keeps 32 and 33 for itself).
    private const int RealtimeMin = 34;

    /// <summary>
    /// The name of a signal without the SIG prefix ("TERM"); real-time signals as kill and GNU tools name them, from
    /// the nearer end ("RTMIN+1", "RTMAX-14"); otherwise its number as text.
    /// </summary>
    public static string NameOf(int signal)
    {
        const int rtMin = RealtimeMin;
        if (signal > 0 && signal < Names.Length) return Names[signal];
        if (signal is < rtMin or > Max) return signal.ToString(CultureInfo.InvariantCulture);
        if (signal <= rtMin + ((Max - rtMin) / 2))
            return signal == rtMin ? "RTMIN" : "RTMIN+" + (signal - rtMin).ToString(CultureInfo.InvariantCulture);
        return signal == Max ? "RTMAX" : "RTMAX-" + (Max - signal).ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Parses a signal as <c>kill</c> accepts it: a number, a name with or without the SIG prefix, any case
    /// (<c>TERM</c>, <c>SIGterm</c>, <c>15</c>), and <c>RTMIN+n</c>/<c>RTMAX-n</c>.
    /// </summary>
    public static bool TryParse(string text, out int signal)
    {
        ArgumentNullException.ThrowIfNull(text);
        signal = 0;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            if (number > Max) return false;
            signal = number;
            return true;
        }
        var name = text.StartsWith("SIG", StringComparison.OrdinalIgnoreCase) ? text[3..] : text;
        for (var i = 1; i < Names.Length; i++)
        {
            if (string.Equals(Names[i], name, StringComparison.OrdinalIgnoreCase))
            {
                signal = i;
                return true;
            }
        }
        if (string.Equals(name, "IOT", StringComparison.OrdinalIgnoreCase)) { signal = 6; return true; }
        if (string.Equals(name, "IO", StringComparison.OrdinalIgnoreCase)) { signal = 29; return true; }
        if (string.Equals(name, "CLD", StringComparison.OrdinalIgnoreCase)) { signal = 17; return true; }
        return TryParseRealtime(name, out signal);
    }

    private static bool TryParseRealtime(string name, out int signal)
    {
        const int rtMin = RealtimeMin;
        signal = 0;
        if (name.StartsWith("RTMIN", StringComparison.OrdinalIgnoreCase))
            return TryOffset(name[5..], rtMin, +1, out signal);
        if (name.StartsWith("RTMAX", StringComparison.OrdinalIgnoreCase))
            return TryOffset(name[5..], Max, -1, out signal);
        return false;
    }

    private static bool TryOffset(string rest, int origin, int direction, out int signal)
    {
        signal = origin;
        if (rest.Length == 0) return true;
        var sign = rest[0] == '+' ? 1 : rest[0] == '-' ? -1 : 0;
        if (sign != direction || !int.TryParse(rest.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var offset))
            return false;
        signal = origin + (sign * offset);
        return signal is >= 34 and <= Max;
    }
}
