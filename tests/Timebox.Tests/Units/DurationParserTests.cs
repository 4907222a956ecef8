using Timebox.Cli;

namespace Timebox.Tests.Units;

/// <summary>
/// <see cref="DurationParser"/> against what GNU timeout accepts and refuses (each row checked with /usr/bin/timeout,
/// coreutils 9.1: <c>timeout -- X true; echo $?</c>), and the value each accepted spelling is worth.
/// </summary>
[Trait("Category", "Unit")]
public sealed class DurationParserTests
{
    private const long Second = TimeSpan.TicksPerSecond;

    // Past half of TimeSpan.MaxValue (461168601842.7 s) a deadline is never reached: no limit.
    private const string LongestFinite = "461168601842", ShortestNever = "461168601843";

    [Theory]
    [InlineData("10", 10 * Second)]
    [InlineData("1.5", 15 * Second / 10)]
    [InlineData(".5", Second / 2)]
    [InlineData("5.", 5 * Second)]
    [InlineData("00010", 10 * Second)]
    [InlineData("0010.50", 105 * Second / 10)]
    [InlineData("+1", Second)]
    [InlineData("+.5", Second / 2)]
    [InlineData(" 1", Second)]
    [InlineData("\t1", Second)]
    [InlineData("\n1", Second)]
    [InlineData("1e2", 100 * Second)]
    [InlineData("1E2", 100 * Second)]
    [InlineData("1e+2", 100 * Second)]
    [InlineData("1.e1", 10 * Second)]
    [InlineData("1e-2", Second / 100)]
    [InlineData("1e5s", 100_000 * Second)]
    [InlineData("10s", 10 * Second)]
    [InlineData("10m", 600 * Second)]
    [InlineData("1.5m", 90 * Second)]
    [InlineData("1e-2m", 6 * Second / 10)]
    [InlineData("10h", 36_000 * Second)]
    [InlineData("10d", 864_000 * Second)]
    [InlineData("0x10", 16 * Second)]
    [InlineData("0X1p4", 16 * Second)]
    [InlineData("0x1P4", 16 * Second)]
    [InlineData("0x.8", Second / 2)]
    [InlineData("0x1.8p1", 3 * Second)]
    [InlineData("0xAs", 10 * Second)]
    // Rounded up to whole ticks, as GNU rounds up to whole nanoseconds: a positive duration never becomes "none".
    [InlineData("0.5e-7", 1)]
    [InlineData("1e-10", 1)]
    [InlineData("0.00000015", 2)]
    // Too small for a double (strtod's ERANGE, which GNU accepts) but positive: expires at once, whatever the suffix.
    // GNU 9.1 reads it as 0 (no timeout); coreutils rounds it up to 1 ns since 9.7, which timebox follows.
    [InlineData("1e-400", 1)]
    [InlineData("1e-400d", 1)]
    [InlineData("0x1p-2000", 1)]
    [InlineData("5337599d", 5_337_599L * 86_400 * Second)]
    public void A_duration_GNU_accepts_is_worth_its_value(string text, long ticks) =>
        Assert.Equal(TimeSpan.FromTicks(ticks), DurationParser.Parse(text));

    [Theory]
    [InlineData("0")]
    [InlineData("0s")]
    [InlineData("0d")]
    [InlineData("0.0")]
    [InlineData("0e0")]
    [InlineData("0x0")]
    [InlineData("-0")]
    [InlineData("-0.0")]
    [InlineData("-0e5")]
    [InlineData("-0x0")]
    [InlineData("inf")]
    [InlineData("INF")]
    [InlineData("infinity")]
    [InlineData("Infinity")]
    [InlineData("infs")]
    [InlineData("infd")]
    [InlineData("infinitys")]
    [InlineData("+inf")]
    [InlineData("1e400")]
    [InlineData("1e999999999")]
    [InlineData("1.7976931348623157e308")]
    [InlineData("99999999999999999999")]
    [InlineData(ShortestNever)]
    [InlineData("5337600d")]
    [InlineData("0x1p100")]
    public void Zero_and_durations_too_long_to_expire_are_no_limit(string text) => Assert.Null(DurationParser.Parse(text));

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("1 ")]
    [InlineData("inf ")]
    [InlineData("s")]
    [InlineData(".")]
    [InlineData(".s")]
    [InlineData("abc")]
    [InlineData("1e")]
    [InlineData("1e+")]
    [InlineData("10x")]
    [InlineData("10ss")]
    [InlineData("10S")]
    [InlineData("10M")]
    [InlineData("1.5.5")]
    [InlineData("1,5")]
    [InlineData("1_0")]
    [InlineData("\u0661")]
    [InlineData("0x")]
    [InlineData("0xg")]
    [InlineData("5infinity")]
    [InlineData("infinit")]
    [InlineData("inf inity")]
    [InlineData("nan")]
    [InlineData("NAN")]
    [InlineData("nans")]
    [InlineData("-nan")]
    [InlineData("-1")]
    [InlineData("-0.5")]
    [InlineData("-inf")]
    [InlineData("-1s")]
    // Negative, only too small for a double: GNU 9.1 takes it as 0; a negative duration is refused here all the same.
    [InlineData("-1e-400")]
    [InlineData("-0x1p-2000")]
    public void A_duration_GNU_refuses_is_a_usage_error_in_GNU_words(string text)
    {
        var error = Assert.Throws<UsageException>(() => DurationParser.Parse(text));
        Assert.StartsWith("invalid time interval ", error.Diagnostic, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0", 0L)]
    [InlineData("0s", 0L)]
    [InlineData("-0", 0L)]
    [InlineData("1.5", 15 * Second / 10)]
    [InlineData("2m", 120 * Second)]
    [InlineData("1e-400", 1L)]
    [InlineData("inf", null)]
    [InlineData(ShortestNever, null)]
    public void A_delay_of_zero_is_no_wait_rather_than_no_limit(string text, long? ticks) =>
        Assert.Equal(ticks is { } t ? TimeSpan.FromTicks(t) : null, DurationParser.ParseDelay(text));

    // At this size a double holds the ticks to within a few hundred (the product rounds): what matters is that it is a limit.
    [Fact]
    public void The_longest_duration_that_can_expire_is_a_limit()
    {
        Assert.Equal(461_168_601_842d, DurationParser.Parse(LongestFinite)!.Value.TotalSeconds, precision: 3);
        Assert.Equal(461_168_601_842d, DurationParser.ParseDelay(LongestFinite)!.Value.TotalSeconds, precision: 3);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("nan")]
    [InlineData("1x")]
    [InlineData("")]
    public void A_delay_refuses_what_a_duration_refuses(string text) =>
        Assert.Throws<UsageException>(() => DurationParser.ParseDelay(text));
}
