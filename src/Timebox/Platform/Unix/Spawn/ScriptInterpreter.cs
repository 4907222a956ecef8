namespace Timebox.Platform.Unix;

/// <summary>The interpreter a script's first line names (#!), as the kernel reads it: the path after "#!" up to a blank.</summary>
internal static class ScriptInterpreter
{
    // The kernel reads at most this much of the line (BINPRM_BUF_SIZE).
    private const int LineLimit = 256;

    /// <summary>The interpreter's path, or null when the file cannot be read or does not start with #!.</summary>
    public static string? Read(string path)
    {
        Span<byte> head = stackalloc byte[LineLimit];
        int length;
        try
        {
            using var file = File.OpenHandle(path);
            length = RandomAccess.Read(file, head, 0);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        var line = head[..length];
        if (!line.StartsWith("#!"u8)) return null;
        line = line[2..].TrimStart(" \t"u8);
        var end = line.IndexOfAny(" \t\n"u8);
        var interpreter = end < 0 ? line : line[..end];
        return interpreter.IsEmpty ? null : FileSystemText.Decode(interpreter);
    }
}
