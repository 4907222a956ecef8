using System.Globalization;

namespace Timebox.Cli;

/// <summary>
/// GNU timeout's DURATION: a C floating-point number (decimal, hexadecimal, inf) with an optional suffix s, m, h or
/// d, parsed once into a <see cref="TimeSpan"/>. Zero disables the timeout and a value too large for a timer never
/// expires (both: null, no limit); a positive value is rounded up to whole ticks, as GNU rounds up to whole nanoseconds,
/// so one too small even for a double (1e-400) still expires, at once. Negative values and NaN are errors.
/// </summary>
internal static class DurationParser
{
    // Beyond this a deadline is never reached: the event loop saturates anything near TimeSpan.MaxValue to "never".
    private static readonly double NeverSeconds = TimeSpan.MaxValue.TotalSeconds / 2;

    /// <summary>A limit (DURATION, -k, --idle-timeout): null when there is none (0, or too large to expire); or throws GNU's "invalid time interval" error.</summary>
    public static TimeSpan? Parse(string text) => Seconds(text) is var seconds && seconds == 0 ? null : ToTimeSpan(seconds);

    /// <summary>A wait before something happens (a batch job's kill_after): 0 is no wait at all; null only when too large to end.</summary>
    public static TimeSpan? ParseDelay(string text) => ToTimeSpan(Seconds(text));

    private static double Seconds(string text)
    {
        var end = ScanNumber(text, out var value, out var hadNonZeroDigit);
        if (end < 0 || double.IsNaN(value) || value < 0 || (value == 0 && double.IsNegative(value) && hadNonZeroDigit))
            throw Invalid(text);
        var multiplier = (text.Length - end) switch
        {
            0 => 1,
            1 => text[end] switch { 's' => 1, 'm' => 60, 'h' => 3600, 'd' => 86400, _ => throw Invalid(text) },
            _ => throw Invalid(text),
        };
        // strtod underflowed (ERANGE, which GNU accepts): the duration is positive, only too small for a double.
        if (value == 0 && hadNonZeroDigit) return double.Epsilon;
        return value * multiplier;
    }

    private static TimeSpan? ToTimeSpan(double seconds) =>
        seconds >= NeverSeconds ? null : TimeSpan.FromTicks((long)Math.Ceiling(seconds * TimeSpan.TicksPerSecond));

    private static UsageException Invalid(string text) => new($"invalid time interval {Quoting.Quote(text)}");

    // The longest prefix strtod would accept; returns its length, or -1 when there is no number at all.
    private static int ScanNumber(string text, out double value, out bool hadNonZeroDigit)
    {
        value = 0;
        hadNonZeroDigit = false;
        var position = 0;
        while (position < text.Length && char.IsWhiteSpace(text[position])) position++;
        var negative = false;
        if (position < text.Length && text[position] is '+' or '-') negative = text[position++] == '-';
        var rest = text.AsSpan(position);

        if (rest.StartsWith("infinity", StringComparison.OrdinalIgnoreCase) || rest.StartsWith("inf", StringComparison.OrdinalIgnoreCase))
        {
            value = negative ? double.NegativeInfinity : double.PositiveInfinity;
            return position + (rest.StartsWith("infinity", StringComparison.OrdinalIgnoreCase) ? 8 : 3);
        }
        if (rest.StartsWith("nan", StringComparison.OrdinalIgnoreCase))
        {
            value = double.NaN;
            return position + 3;
        }
        var end = rest.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? ScanHex(text, position + 2, out value, out hadNonZeroDigit)
            : ScanDecimal(text, position, out value, out hadNonZeroDigit);
        if (end < 0) return -1;
        if (negative) value = -value;
        return end;
    }

    private static int ScanDecimal(string text, int start, out double value, out bool hadNonZeroDigit)
    {
        var position = start;
        var digits = 0;
        hadNonZeroDigit = false;
        while (position < text.Length && char.IsAsciiDigit(text[position])) { hadNonZeroDigit |= text[position] != '0'; position++; digits++; }
        if (position < text.Length && text[position] == '.')
        {
            position++;
            while (position < text.Length && char.IsAsciiDigit(text[position])) { hadNonZeroDigit |= text[position] != '0'; position++; digits++; }
        }
        value = 0;
        if (digits == 0) return -1;
        if (position < text.Length && text[position] is 'e' or 'E')
        {
            var exponent = position + 1;
            if (exponent < text.Length && text[exponent] is '+' or '-') exponent++;
            if (exponent < text.Length && char.IsAsciiDigit(text[exponent]))
            {
                while (exponent < text.Length && char.IsAsciiDigit(text[exponent])) exponent++;
                position = exponent;
            }
        }
        // .NET parses overflow to infinity and underflow to zero, as strtod does (it also sets ERANGE, which GNU accepts).
        value = double.Parse(text.AsSpan(start, position - start), NumberStyles.Float, CultureInfo.InvariantCulture);
        return position;
    }

    private static int ScanHex(string text, int start, out double value, out bool hadNonZeroDigit)
    {
        var position = start;
        var digits = 0;
        var exponent = 0;
        value = 0;
        hadNonZeroDigit = false;
        var seenPoint = false;
        while (position < text.Length && (char.IsAsciiHexDigit(text[position]) || (text[position] == '.' && !seenPoint)))
        {
            if (text[position] == '.') { seenPoint = true; position++; continue; }
            var digit = char.IsAsciiDigit(text[position]) ? text[position] - '0' : (text[position] | 0x20) - 'a' + 10;
            hadNonZeroDigit |= digit != 0;
            value = (value * 16) + digit;
            if (seenPoint) exponent -= 4;
            digits++;
            position++;
        }
        // "0x" with no hex digit: strtod takes just the "0".
        if (digits == 0) return start - 1;
        if (position < text.Length && text[position] is 'p' or 'P')
        {
            var marker = position + 1;
            var sign = 1;
            if (marker < text.Length && text[marker] is '+' or '-') sign = text[marker++] == '-' ? -1 : 1;
            if (marker < text.Length && char.IsAsciiDigit(text[marker]))
            {
                var binary = 0;
                while (marker < text.Length && char.IsAsciiDigit(text[marker])) binary = Math.Min(100_000, (binary * 10) + (text[marker++] - '0'));
                exponent += sign * binary;
                position = marker;
            }
        }
        value = Math.ScaleB(value, exponent);
        return position;
    }
}
