using System.Globalization;
using Timebox.Tests.Support;

namespace Timebox.Tests;

/// <summary>
/// <see cref="Signals.TryParse"/> over every spelling the CLI test compares with GNU timeout: it accepts what GNU
/// accepts, as the same signal, except numbers, which it takes as plain signal numbers rather than shell statuses.
/// </summary>
public sealed class SignalParsingTests
{
    [Fact]
    public void Every_spelling_GNU_accepts_parses_to_its_signal_and_nothing_else_parses()
    {
        var wrong = new List<string>();
        foreach (var spelling in SignalSpellings.All)
        {
            var expected = spelling.IsNumber && !IsSignalNumber(spelling.Text) ? null : spelling.Meaning;
            int? parsed = Signals.TryParse(spelling.Text, out var signal) ? signal : null;
            if (parsed != expected) wrong.Add($"{spelling}: parsed {Show(parsed)}, expected {Show(expected)}");
        }
        Assert.True(wrong.Count == 0, $"{wrong.Count} of {SignalSpellings.All.Count} spellings parse wrongly:\n{string.Join('\n', wrong.Take(40))}");
    }

    [Theory]
    [InlineData(1, "HUP")]
    [InlineData(6, "ABRT")]
    [InlineData(17, "CHLD")]
    [InlineData(29, "POLL")]
    [InlineData(34, "RTMIN")]
    [InlineData(35, "RTMIN+1")]
    [InlineData(49, "RTMIN+15")]
    [InlineData(50, "RTMAX-14")]
    [InlineData(64, "RTMAX")]
    [InlineData(0, "0")]
    [InlineData(32, "32")]
    [InlineData(65, "65")]
    public void Names_are_the_ones_GNU_prints(int signal, string name) => Assert.Equal(name, Signals.NameOf(signal));

    [Fact]
    public void Every_named_signal_parses_back_from_its_name()
    {
        for (var signal = 0; signal <= Signals.Max; signal++)
        {
            Assert.Equal(signal is not (32 or 33), Signals.IsNamed(signal));
            Assert.Equal(Signals.IsNamed(signal), Signals.TryParse(Signals.NameOf(signal), out var parsed) && parsed == signal);
        }
    }

    // Below 128 GNU's shell-status mask leaves a number as it is, so both read it as the same signal. Junk that starts
    // with a digit (0x10) is refused by both.
    private static bool IsSignalNumber(string digits) =>
        !digits.All(char.IsAsciiDigit)
        || (digits.TrimStart('0') is var significant && (significant.Length == 0 || (significant.Length <= 3 && int.Parse(significant, CultureInfo.InvariantCulture) < 128)));

    private static string Show(int? signal) => signal?.ToString(CultureInfo.InvariantCulture) ?? "refused";
}
