namespace Timebox.Cli;

/// <summary>
/// Quotes a name in a message as GNU's quote() does: ‘name’ when the locale's character set is UTF-8, 'name'
/// otherwise (the C locale).
/// </summary>
internal static class Quoting
{
    private static readonly bool Utf8Locale = IsUtf8Locale();

    public static string Quote(string text) => Utf8Locale ? $"\u2018{text}\u2019" : $"'{text}'";

    private static bool IsUtf8Locale()
    {
        var locale = FirstSet("LC_ALL", "LC_CTYPE", "LANG");
        return locale is not null && (locale.Contains("UTF-8", StringComparison.OrdinalIgnoreCase) || locale.Contains("utf8", StringComparison.OrdinalIgnoreCase));
    }

    private static string? FirstSet(params string[] names) =>
        names.Select(Environment.GetEnvironmentVariable).FirstOrDefault(value => !string.IsNullOrEmpty(value));
}
