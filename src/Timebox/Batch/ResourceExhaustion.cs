using System.ComponentModel;
using System.Runtime.InteropServices;
using Timebox.Platform.Unix;

namespace Timebox.Batch;

/// <summary>
/// Tells a start that failed for want of the host's own resources (descriptors, memory, processes: EMFILE, ENFILE,
/// ENOMEM, EAGAIN) from a job that cannot start. The first is the runner's limit, not the job's result: the job is run
/// again once a run in flight has ended, and the batch runs fewer jobs at once.
/// </summary>
internal static class ResourceExhaustion
{
    private static readonly int[] Errnos = [Libc.ENOMEM, Libc.ENFILE, Libc.EMFILE, Libc.EAGAIN];

    /// <summary>The errno of the exhaustion that <paramref name="exception"/> (or one of its inner exceptions) reports, or null.</summary>
    public static int? Find(Exception exception)
    {
        for (var error = exception; error is not null; error = error.InnerException)
        {
            if (error is OutOfMemoryException) return Libc.ENOMEM;
            if (ErrnoOf(error) is { } errno && Errnos.Contains(errno)) return errno;
            // Exceptions that carry the errno only in their text, in the system's words. Not in the command line a
            // CommandStartException quotes, where a job's own text could say anything.
            var text = error is CommandStartException start ? error.Message.Replace($"(command: {start.Command})", "", StringComparison.Ordinal) : error.Message;
            // ENFILE before EMFILE: "Too many open files in system" contains "Too many open files".
            foreach (var number in Errnos)
            {
                if (text.Contains(Marshal.GetPInvokeErrorMessage(number), StringComparison.Ordinal)) return number;
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
