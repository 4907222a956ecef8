using System.Runtime.InteropServices;

namespace Timebox.Cli;

/// <summary>
/// The system's words (strerror) for a file error that .NET raised: timebox's messages say what `cat` or `cp` would,
/// never a .NET resource key or a .NET paraphrase.
/// </summary>
internal static class SystemError
{
    private const int ENOENT = 2, EACCES = 13, EISDIR = 21, ENAMETOOLONG = 36;

    /// <summary>strerror of the errno behind <paramref name="exception"/>, raised for <paramref name="path"/> (when known: EACCES and EISDIR look alike).</summary>
    /// <remarks>
    /// .NET keeps the errno in HResult of a plain IOException, but turns ENOENT, EACCES (and EISDIR on opening a
    /// directory) and ENAMETOOLONG into exception types, which are mapped back here.
    /// </remarks>
    public static string Words(Exception exception, string? path = null) => exception switch
    {
        FileNotFoundException or DirectoryNotFoundException => Marshal.GetPInvokeErrorMessage(ENOENT),
        PathTooLongException => Marshal.GetPInvokeErrorMessage(ENAMETOOLONG),
        UnauthorizedAccessException => Marshal.GetPInvokeErrorMessage(path is not null && Directory.Exists(path) ? EISDIR : EACCES),
        IOException { HResult: > 0 and < 4096 } => Marshal.GetPInvokeErrorMessage(exception.HResult),
        _ => exception.Message,
    };
}
