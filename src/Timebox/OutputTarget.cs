namespace Timebox;

/// <summary>Where one of a command's output streams goes. Immutable.</summary>
public sealed class OutputTarget
{
    internal enum TargetKind { Capture, Discard, Inherit, File, Stream, Pipe }

    internal TargetKind Kind { get; }
    internal string? FilePath { get; }
    internal bool Append { get; }
    internal Stream? Stream { get; }

    private OutputTarget(TargetKind kind, string? filePath = null, bool append = false, Stream? stream = null)
    {
        Kind = kind;
        FilePath = filePath;
        Append = append;
        Stream = stream;
    }

    /// <summary>Captured into memory and returned in the <see cref="RunResult"/>. The default. On timeout what was captured so far is kept.</summary>
    public static OutputTarget Capture { get; } = new(TargetKind.Capture);

    /// <summary>Thrown away (<c>/dev/null</c>).</summary>
    public static OutputTarget Discard { get; } = new(TargetKind.Discard);

    /// <summary>The host process's own stream, passed through untouched.</summary>
    public static OutputTarget Inherit { get; } = new(TargetKind.Inherit);

    /// <summary>
    /// A read pipe the caller consumes through <see cref="RunningProcess.StandardOutput"/> or
    /// <see cref="RunningProcess.StandardError"/> while the program runs. The run does not wait for it to be read.
    /// </summary>
    public static OutputTarget Pipe { get; } = new(TargetKind.Pipe);

    /// <summary>A file, opened by the host and handed to the program directly: any size, no copy through the host.</summary>
    public static OutputTarget ToFile(string path, bool append = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return new(TargetKind.File, path, append);
    }

    /// <summary>
    /// A writable stream the output is copied to asynchronously as it arrives. The stream is not disposed.
    /// On timeout the copy ends with whatever the program wrote before it was killed.
    /// </summary>
    public static OutputTarget ToStream(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanWrite) throw new ArgumentException("The output stream is not writable.", nameof(stream));
        return new(TargetKind.Stream, stream: stream);
    }
}
