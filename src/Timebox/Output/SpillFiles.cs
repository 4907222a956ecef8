using Microsoft.Win32.SafeHandles;

namespace Timebox.Output;

/// <summary>
/// How the host's system makes and writes the temporary file a capture moves to past its memory threshold. The file never
/// has a name anyone can see after creation, so it vanishes when its handle closes: on dispose, and also when the host
/// crashes. The run of each system hands its own to the captures it creates.
/// </summary>
internal abstract class SpillFiles
{
    /// <exception cref="IOException">The directory takes no file (read-only, full, not a directory, not writable), in the system's words.</exception>
    public abstract SafeFileHandle Create(string directory);

    /// <summary>Writes all of <paramref name="bytes"/> at <paramref name="offset"/>.</summary>
    /// <exception cref="IOException">The write failed (ENOSPC, EIO, EFBIG, ...), in the system's words; part of the bytes may have been written.</exception>
    public abstract void Write(SafeFileHandle file, ReadOnlySpan<byte> bytes, long offset);

    /// <summary>Creates a file of a fresh name in <paramref name="directory"/>, whose name the caller then takes away (or <paramref name="options"/> do).</summary>
    /// <exception cref="IOException">The directory takes no file, in the system's words.</exception>
    protected static SafeFileHandle CreateNamed(string directory, FileOptions options, out string path)
    {
        path = Path.Combine(directory, $"timebox-spill-{Guid.NewGuid():N}.tmp");
        try
        {
            return File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, options);
        }
        catch (UnauthorizedAccessException exception)
        {
            throw new IOException(exception.Message, exception);
        }
    }
}
