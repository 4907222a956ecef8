using System.Globalization;

namespace Timebox.Cli;

/// <summary>
/// GNU timeout's DURATION: a C floating-point number (decimal, hexadecimal, inf) with an optional suffix s, m, h or
/// d. Zero disables the timeout; a value too large for a double never expires, and a positive value too small for
/// one expires at once (it is not rounded down to zero, which would disable it); negative values and NaN are errors.
/// </summary>
internal static class DurationParser
{
    /// <summary>Returns the duration in seconds (0: disabled; infinity: never), or throws the GNU "invalid time interval" error.</summary>
    public static double Parse(string text)
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
        if (value == 0 && hadNonZeroDigit) return double.Epsilon;
        return value * multiplier;
    }

    /// <summary>The seconds as a timer delay, or null when the timeout never expires (zero is not a delay: the caller checks it).</summary>
    public static TimeSpan? ToDelay(double seconds) =>
        seconds >= TimeSpan.MaxValue.TotalSeconds / 2 ? null : TimeSpan.FromSeconds(seconds);

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
