namespace Timebox.Cli;

/// <summary>
/// A report file (--report, --html) is opened before anything runs: one that cannot be written is an error before the
/// fact, not after the command ran.
/// </summary>
internal static class ReportFile
{
    /// <summary>The created file, or null after printing <paramref name="failure"/>, the path and the reason.</summary>
    public static FileStream? Create(string path, string failure)
    {
        try
        {
            return new FileStream(path, FileMode.Create, FileAccess.Write);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            Messages.Error($"{failure} {Quoting.Quote(path)}: {exception.Message}");
            return null;
        }
    }
}
