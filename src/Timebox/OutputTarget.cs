using System.IO.Pipelines;
using Timebox.Output;

namespace Timebox;

/// <summary>
/// Where one of a command's output streams goes. Immutable. <see cref="Inherit"/>, <see cref="Discard"/> and
/// <see cref="ToFile"/> hand the program a descriptor directly (no copy through the host); every other target is read
/// by Timebox's event loop, which is what idle timeouts and capture limits observe. Combine several with <see cref="Tee"/>.
/// </summary>
public sealed class OutputTarget
{
    internal enum TargetKind { Capture, Discard, Inherit, File, Stream, Pipe, PipeWriter, Lines, Chunks, Tee }

    internal TargetKind Kind { get; }
    internal string? FilePath { get; }
    internal bool Append { get; }
    internal Stream? Stream { get; }
    internal PipeWriter? Writer { get; }
    internal CaptureLimit? Limit { get; }
    internal Func<string, ValueTask>? LineHandler { get; }
    internal Func<ReadOnlyMemory<byte>, ValueTask>? ChunkHandler { get; }
    internal IReadOnlyList<OutputTarget> Parts { get; }

    private OutputTarget(TargetKind kind, string? filePath = null, bool append = false, Stream? stream = null, PipeWriter? writer = null,
        CaptureLimit? limit = null, Func<string, ValueTask>? lineHandler = null, Func<ReadOnlyMemory<byte>, ValueTask>? chunkHandler = null,
        IReadOnlyList<OutputTarget>? parts = null)
    {
        Kind = kind;
        FilePath = filePath;
        Append = append;
        Stream = stream;
        Writer = writer;
        Limit = limit;
        LineHandler = lineHandler;
        ChunkHandler = chunkHandler;
        Parts = parts ?? [this];
    }

    /// <summary>
    /// Captured and returned in the <see cref="RunResult"/>: in memory, moving to an unnamed temporary file past the
    /// command's spill threshold (<see cref="Command.WithSpill"/>). The default. On timeout what was captured so far is kept.
    /// </summary>
    public static OutputTarget Capture { get; } = new(TargetKind.Capture);

    /// <summary>Thrown away (<c>/dev/null</c>).</summary>
    public static OutputTarget Discard { get; } = new(TargetKind.Discard);

    /// <summary>The host process's own stream, passed through untouched (inside a <see cref="Tee"/>: copied to it).</summary>
    public static OutputTarget Inherit { get; } = new(TargetKind.Inherit);

    /// <summary>
    /// Read by the caller while the program runs: through <see cref="RunningProcess.StandardOutput"/> /
    /// <see cref="RunningProcess.StandardError"/>, or both streams together as tagged lines or chunks in arrival order
    /// (<see cref="RunningProcess.ReadLinesAsync"/>, <see cref="RunningProcess.ReadChunksAsync"/>). With back-pressure:
    /// once 1 MiB is read but not consumed, Timebox stops reading and the program blocks in write, so a slow reader slows
    /// the program and memory stays bounded. On timeout the reader still gets everything written before the kill, then the end.
    /// </summary>
    public static OutputTarget Pipe { get; } = new(TargetKind.Pipe);

    /// <summary>
    /// Captured like <see cref="Capture"/>, but at most <paramref name="maxBytes"/> are kept: the first
    /// <paramref name="headBytes"/> (half by default) and the last <c>maxBytes - headBytes</c>. What is dropped in between is
    /// counted in <see cref="CapturedOutput.DroppedBytes"/>. With <see cref="OutputLimitAction.Terminate"/>, exceeding the
    /// limit runs the termination sequence and the run ends with <see cref="Outcome.OutputLimitExceeded"/>.
    /// Memory use is bounded by the limit (the head may also spill to disk).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxBytes"/> is not positive or the tail exceeds 2 GiB, or <paramref name="headBytes"/> is outside 0..maxBytes.</exception>
    public static OutputTarget CaptureWithLimit(long maxBytes, long? headBytes = null, OutputLimitAction whenExceeded = OutputLimitAction.KeepRunning)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        var head = headBytes ?? maxBytes / 2;
        if (head < 0 || head > maxBytes) throw new ArgumentOutOfRangeException(nameof(headBytes), head, "The head must be between 0 and the limit.");
        if (maxBytes - head > Array.MaxLength) throw new ArgumentOutOfRangeException(nameof(maxBytes), maxBytes, "The tail is kept in one array and cannot exceed 2 GiB.");
        if (!Enum.IsDefined(whenExceeded)) throw new ArgumentOutOfRangeException(nameof(whenExceeded), whenExceeded, "Not an OutputLimitAction.");
        return new(TargetKind.Capture, limit: new CaptureLimit(head, maxBytes - head, whenExceeded));
    }

    /// <summary>A file, opened by the host before the start (an unusable path is a <see cref="OutputTargetException"/>) and handed to the program directly: any size, no copy. Inside a <see cref="Tee"/> the host copies to it.</summary>
    public static OutputTarget ToFile(string path, bool append = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return new(TargetKind.File, path, append);
    }

    /// <summary>
    /// A writable stream the output is copied to as it arrives, in order. The stream is flushed at the end, not disposed.
    /// A slow stream slows the program (back-pressure), never memory. On timeout the copy ends with whatever the program
    /// wrote before it was killed; a stream still blocked 1 s after the pipes closed is abandoned (and <see cref="RunResult.OutputIncomplete"/> set) so the call returns on time.
    /// </summary>
    public static OutputTarget ToStream(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanWrite) throw new ArgumentException("The output stream is not writable.", nameof(stream));
        return new(TargetKind.Stream, stream: stream);
    }

    /// <summary>A <see cref="PipeWriter"/> the output is written to as it arrives, honouring its back-pressure. Flushed at the end, not completed (its owner completes it). Timeouts as for <see cref="ToStream"/>.</summary>
    public static OutputTarget ToPipeWriter(PipeWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        return new(TargetKind.PipeWriter, writer: writer);
    }

    /// <summary>
    /// Calls <paramref name="onLine"/> for each line as it arrives (text decoded with the command's encoding, without
    /// its terminator; <c>\n</c>, <c>\r\n</c> and a lone <c>\r</c> end a line; a final unterminated line is delivered too).
    /// Calls come one at a time, in order, off the event loop; a slow callback slows the program, never memory.
    /// Timeouts as for <see cref="ToStream"/>.
    /// </summary>
    public static OutputTarget ToLines(Action<string> onLine)
    {
        ArgumentNullException.ThrowIfNull(onLine);
        return new(TargetKind.Lines, lineHandler: line =>
        {
            onLine(line);
            return ValueTask.CompletedTask;
        });
    }

    /// <summary>The asynchronous form of <see cref="ToLines(Action{string})"/>: the next line waits for the returned task.</summary>
    public static OutputTarget ToLines(Func<string, Task> onLine)
    {
        ArgumentNullException.ThrowIfNull(onLine);
        return new(TargetKind.Lines, lineHandler: line => new ValueTask(onLine(line)));
    }

    /// <summary>Calls <paramref name="onChunk"/> with the raw bytes of each read as it arrives (binary output). The memory belongs to the callee. Otherwise as <see cref="ToLines(Action{string})"/>.</summary>
    public static OutputTarget ToChunks(Action<ReadOnlyMemory<byte>> onChunk)
    {
        ArgumentNullException.ThrowIfNull(onChunk);
        return new(TargetKind.Chunks, chunkHandler: chunk =>
        {
            onChunk(chunk);
            return ValueTask.CompletedTask;
        });
    }

    /// <summary>
    /// Sends the stream to several targets at once, for example <c>Tee(Capture, ToStream(log))</c> or
    /// <c>Tee(CaptureWithLimit(…), Pipe)</c>. At most one capture and one <see cref="Pipe"/>; <see cref="Discard"/> makes no sense here.
    /// </summary>
    /// <exception cref="ArgumentException">No targets, a <see cref="Discard"/>, or two captures or pipes.</exception>
    public static OutputTarget Tee(params IEnumerable<OutputTarget> targets)
    {
        ArgumentNullException.ThrowIfNull(targets);
        var parts = targets.SelectMany(t => (t ?? throw new ArgumentNullException(nameof(targets))).Parts).ToArray();
        if (parts.Length == 0) throw new ArgumentException("A tee needs at least one target.", nameof(targets));
        if (parts.Any(p => p.Kind == TargetKind.Discard)) throw new ArgumentException("Discard cannot be part of a tee.", nameof(targets));
        if (parts.Count(p => p.Kind == TargetKind.Capture) > 1) throw new ArgumentException("A tee can hold one capture.", nameof(targets));
        if (parts.Count(p => p.Kind == TargetKind.Pipe) > 1) throw new ArgumentException("A tee can hold one pipe.", nameof(targets));
        return parts.Length == 1 ? parts[0] : new(TargetKind.Tee, parts: parts);
    }

    /// <summary>True when Timebox's event loop reads this stream (everything but a lone Inherit, Discard or file).</summary>
    internal bool IsReadByHost => Kind is not (TargetKind.Inherit or TargetKind.Discard or TargetKind.File);

    internal OutputTarget? CapturePart => Parts.FirstOrDefault(p => p.Kind == TargetKind.Capture);

    internal bool HasPipe => Parts.Any(p => p.Kind == TargetKind.Pipe);
}
