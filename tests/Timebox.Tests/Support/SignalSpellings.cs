using System.Globalization;
using System.Text.RegularExpressions;

namespace Timebox.Tests.Support;

/// <summary>One way to write a signal, and the signal it means when it is valid (null: junk that nothing should accept).</summary>
public sealed record SignalSpelling(string Text, int? Meaning)
{
    /// <summary>Starts with a digit: GNU timeout reads it as a shell exit status, the library as a plain number.</summary>
    public bool IsNumber => Text.Length > 0 && char.IsAsciiDigit(Text[0]);

    public override string ToString() => $"'{Text}'";
}

/// <summary>
/// Every spelling of a signal worth trying, built from what this system's <c>kill -l</c> (bash) and <c>/bin/kill -L</c>
/// list, with and without SIG, in three cases; every number from 0 to 300 (with SIG up to 70) and numbers too big for
/// an int or a long;
/// RTMIN/RTMAX with every offset and the odd spellings C's strtol lets through; and junk.
/// </summary>
public static partial class SignalSpellings
{
    private const int RealtimeMin = 34;
    private const int RealtimeMax = 64;

    private static readonly Lazy<List<SignalSpelling>> Spellings = new(Build);

    public static IReadOnlyList<SignalSpelling> All => Spellings.Value;

    private static List<SignalSpelling> Build()
    {
        var spellings = new List<SignalSpelling>();
        foreach (var (number, name) in ListedNames().Concat(GnulibAliases))
            spellings.AddRange(Variants(name).Select(text => new SignalSpelling(text, number)));
        foreach (var name in NamesOtherSystemsHave)
            spellings.AddRange(Variants(name).Select(text => new SignalSpelling(text, null)));
        spellings.AddRange(Numbers());
        spellings.AddRange(Realtime());
        spellings.AddRange(Junk.Select(text => new SignalSpelling(text, null)));
        return spellings.DistinctBy(spelling => spelling.Text, StringComparer.Ordinal).ToList();
    }

    /// <summary>Names the two kill commands list (SIGRTMIN+1 as RTMIN+1), with their numbers.</summary>
    private static IEnumerable<(int Number, string Name)> ListedNames()
    {
        var bash = Run("bash", "-c", "kill -l");
        foreach (Match match in BashListing().Matches(bash))
            yield return (int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), match.Groups[2].Value);
        var procps = Run("/bin/kill", "-L");
        foreach (Match match in ProcpsListing().Matches(procps))
            yield return (int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), match.Groups[2].Value);
    }

    // gnulib's str2sig knows these too; neither kill lists IOT, CLD or EXIT, and each lists only one of IO and POLL.
    private static readonly (int, string)[] GnulibAliases = [(6, "IOT"), (17, "CLD"), (29, "IO"), (29, "POLL"), (0, "EXIT")];

    // Names in gnulib's table for other kernels, and Linux's retired SIGUNUSED: glibc defines none of them.
    private static readonly string[] NamesOtherSystemsHave = ["EMT", "INFO", "LOST", "UNUSED", "THR", "BREAK", "CANCEL", "WINDOW", "RTMID"];

    private static IEnumerable<string> Variants(string name)
    {
        var lower = name.ToLowerInvariant();
        var mixed = string.Concat(name.Select((c, i) => i % 2 == 0 ? char.ToLowerInvariant(c) : c));
        return [name, "SIG" + name, lower, "sig" + lower, mixed, "sIg" + mixed];
    }

    private static IEnumerable<SignalSpelling> Numbers()
    {
        for (var number = 0; number <= 300; number++)
        {
            var text = number.ToString(CultureInfo.InvariantCulture);
            yield return new SignalSpelling(text, Named(AsStatus(number)));
            if (number <= 70) yield return new SignalSpelling("SIG" + text, Named(number));
        }
        foreach (var text in new[] { "00", "007", "0137", "00000000000000000000000000015", "SIG007", "sig0000000000000000000000009" })
            yield return new SignalSpelling(text, Named(AsStatus(int.Parse(text.TrimStart('S', 'I', 'G', 's', 'i', 'g'), CultureInfo.InvariantCulture))));
        foreach (var big in new[] { "2147483647", "2147483648", "2147483663", "4294967295", "4294967296", "4294967311",
                     "9223372036854775807", "9223372036854775808", "18446744073709551615", "18446744073709551631", "99999999999999999999999" })
        {
            yield return new SignalSpelling(big, null);
            yield return new SignalSpelling("SIG" + big, null);
        }
    }

    // glibc keeps 32 and 33 for itself, and Linux has 64 signals: no other number has a name.
    private static int? Named(int number) => number is (>= 0 and < 32) or (>= RealtimeMin and <= RealtimeMax) ? number : null;

    /// <summary>GNU masks a number with 0x7F, or 0xFF from 255 on, so that shell statuses (137, ksh's 265) name their signal.</summary>
    private static int AsStatus(int number) => number & (number >= 0xFF ? 0xFF : 0x7F);

    private static IEnumerable<SignalSpelling> Realtime()
    {
        for (var offset = -32; offset <= 32; offset++)
        {
            var signed = offset.ToString("+0;-0", CultureInfo.InvariantCulture);
            int? fromMin = offset is >= 0 and <= RealtimeMax - RealtimeMin ? RealtimeMin + offset : null;
            int? fromMax = offset is >= RealtimeMin - RealtimeMax and <= 0 ? RealtimeMax + offset : null;
            yield return new SignalSpelling("RTMIN" + signed, fromMin);
            yield return new SignalSpelling("RTMAX" + signed, fromMax);
            yield return new SignalSpelling("sigrtmin" + signed, fromMin);
            yield return new SignalSpelling("SigRtMax" + signed, fromMax);
        }
        (string Text, int? Meaning)[] odd =
        [
            ("RTMIN", 34), ("RTMAX", 64), ("RTMIN+0", 34), ("RTMIN-0", 34), ("RTMAX+0", 64), ("RTMAX-0", 64),
            ("RTMIN1", 35), ("RTMIN01", 35), ("RTMIN+01", 35), ("RTMIN+0000000000000000000000001", 35), ("RTMAX-01", 63),
            ("RTMIN 1", 35), ("RTMIN\t1", 35), ("RTMIN\n1", 35), ("RTMIN \t +1", 35), ("RTMAX -1", 63), ("rtmin+1", 35),
            ("Sigrtmax-3", 61), ("rtmax", 64), ("RTMAX1", null), ("RTMIN+ 1", null), ("RTMIN++1", null), ("RTMIN+-1", null),
            ("RTMAX--1", null), ("RTMIN+", null), ("RTMIN-", null), ("RTMIN ", null), ("RTMIN+1 ", null), (" RTMIN+1", null),
            ("RTMIN+1x", null), ("RTMIN+0x1", null), ("RTMIN+1.0", null), ("RTMIN+1e1", null), ("RTMIN+99999999999999999999", null),
            ("RTMAX-99999999999999999999", null), ("RTMIN-99999999999999999999", null), ("RTMAX+2147483648", null),
            ("RTMIN+4294967331", null), ("RT", null), ("RTM", null), ("RTMINUS", null), ("SIG RTMIN", null), ("SIGSIGRTMIN", null),
        ];
        foreach (var (text, meaning) in odd) yield return new SignalSpelling(text, meaning);
    }

    // Meaning null: nothing accepts these (asserted against GNU, so a wrong guess here shows up as a failure).
    private static readonly string[] Junk =
    [
        "", " ", "SIG", "sig", "SIGSIGHUP", "HUP ", " HUP", "H UP", "TERM\t", "\tTERM", "+15", "-15", "+HUP", "-HUP", "15abc",
        "0x10", "1e1", "1.0", "15 ", " 15", "SIG 15", "SIG+15", "SIG-1", "SIG15 ", "SIG0x1", "KILL9", "USR", "USR3", "SIGUSR0",
        "TERMINATE", "SIGKIL", "ıNT", "İNT", "ınt", "ſys", "ＨＵＰ", "é", "a'b", "a\\b", "a\"b", "\u0001", "\u007f", "a\u0085b",
        "TE\u200bRM", "%s", "$HUP", "*", "?", "~",
    ];

    private static string Run(string program, params string[] arguments)
    {
        var result = new Command(program, arguments).WithTimeout(TimeSpan.FromSeconds(30)).Run();
        Assert.True(result.ExitCode == 0, $"{program} failed: {result.Stderr.Text}");
        return result.Stdout.Text;
    }

    [GeneratedRegex(@"(\d+)\) SIG(\S+)")]
    private static partial Regex BashListing();

    [GeneratedRegex(@"(\d+) ([A-Z]\S*)")]
    private static partial Regex ProcpsListing();
}
