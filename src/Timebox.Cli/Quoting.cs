using System.Text;

namespace Timebox.Cli;

/// <summary>
/// Quotes a name in a message as GNU's quote() does: ‘name’ when the locale's character set is UTF-8, 'name'
/// otherwise (the C locale), with C escapes for what would not print as itself (\t, \\, \' and octal bytes).
/// </summary>
internal static class Quoting
{
    private static readonly bool Utf8Locale = IsUtf8Locale();

    private const string Escaped = "\a\b\f\n\r\t\v";
    private const string EscapeLetters = "abfnrtv";

    public static string Quote(string text)
    {
        var (left, right) = Utf8Locale ? ('\u2018', '\u2019') : ('\'', '\'');
        var quoted = new StringBuilder(text.Length + 2).Append(left);
        foreach (var rune in text.EnumerateRunes())
        {
            var escape = rune.IsBmp ? Escaped.IndexOf((char)rune.Value, StringComparison.Ordinal) : -1;
            if (escape >= 0) quoted.Append('\\').Append(EscapeLetters[escape]);
            else if (rune.Value == '\\' || rune.Value == right) quoted.Append('\\').Append(rune.ToString());
            else if (Rune.IsControl(rune) || (!rune.IsAscii && !Utf8Locale)) AppendOctalBytes(quoted, rune);
            else quoted.Append(rune.ToString());
        }
        return quoted.Append(right).ToString();
    }

    // A byte that is not a printable character of the locale's character set: every byte of it as \ooo.
    private static void AppendOctalBytes(StringBuilder quoted, Rune rune)
    {
        Span<byte> bytes = stackalloc byte[4];
        var length = rune.EncodeToUtf8(bytes);
        foreach (var octet in bytes[..length]) quoted.Append('\\').Append(Convert.ToString(octet, 8).PadLeft(3, '0'));
    }

    private static bool IsUtf8Locale()
    {
        var locale = FirstSet("LC_ALL", "LC_CTYPE", "LANG");
        return locale is not null && (locale.Contains("UTF-8", StringComparison.OrdinalIgnoreCase) || locale.Contains("utf8", StringComparison.OrdinalIgnoreCase));
    }

    private static string? FirstSet(params string[] names) =>
        names.Select(Environment.GetEnvironmentVariable).FirstOrDefault(value => !string.IsNullOrEmpty(value));
}
