using System.ComponentModel;
using System.Runtime.InteropServices;

namespace Timebox.Batch;

/// <summary>
/// Tells a start that failed for want of the host's own resources (descriptors, memory, processes: EMFILE, ENFILE,
/// ENOMEM, EAGAIN) from a job that cannot start. The first is the runner's limit, not the job's result: the job is run
/// again once a run in flight has ended, and the batch runs fewer jobs at once.
/// </summary>
internal static class ResourceExhaustion
{
    private const int ENOMEM = 12;
    private static readonly int[] Errnos = [ENOMEM, 23, 24, OperatingSystem.IsMacOS() ? 35 : 11];

    /// <summary>The errno of the exhaustion that <paramref name="exception"/> (or one of its inner exceptions) reports, or null.</summary>
    public static int? Find(Exception exception)
    {
        for (var error = exception; error is not null; error = error.InnerException)
        {
            if (error is OutOfMemoryException) return ENOMEM;
            if (ErrnoOf(error) is { } errno && Errnos.Contains(errno)) return errno;
            // Exceptions that carry the errno only in their text: the system's words, or its number as "errno N".
            foreach (var number in Errnos)
            {
                // Longest words first: "Too many open files in system" (ENFILE) contains EMFILE's.
                if (error.Message.Contains(Marshal.GetPInvokeErrorMessage(number), StringComparison.Ordinal)
                    || error.Message.Contains($"errno {number.ToString(System.Globalization.CultureInfo.InvariantCulture)}", StringComparison.Ordinal))
                    return number;
            }
        }
        return null;
    }

    /// <summary>The system's words for it (strerror).</summary>
    public static string Words(int errno) => Marshal.GetPInvokeErrorMessage(errno);

    // .NET keeps the errno of a plain IOException in HResult (an HRESULT proper is negative).
    private static int? ErrnoOf(Exception error) => error switch
    {
        Win32Exception win32 => win32.NativeErrorCode,
        IOException { HResult: > 0 and < 4096 } => error.HResult,
        _ => null,
    };
}
