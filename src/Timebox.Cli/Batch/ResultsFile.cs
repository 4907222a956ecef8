using System.Runtime.InteropServices;
using System.Text.Json;

namespace Timebox.Cli;

/// <summary>The last result recorded for a job id: its attempt, how it ended (null: it could not start) and its output files.</summary>
internal sealed record RecordedResult(string Id, int Attempt, Outcome? Outcome, int? ExitCode, string? StdoutFile, string? StderrFile);

/// <summary>
/// The results file of a batch, opened for appending: one line per attempt, each written with a single write(2) as
/// the attempt ends, so a batch killed at any moment (even by SIGKILL) leaves whole lines, and at most one partial last
/// line, which the next run removes before appending. Held with an exclusive open-file-description lock (fcntl
/// F_OFD_SETLK, Linux) so two batches cannot append to the same file; readers are not hindered (not even .NET's, whose
/// FileStream takes flock locks, which are independent of these). Lines are not fsync'ed one by one: they survive the
/// death of timebox, not of the machine.
/// </summary>
internal sealed unsafe partial class ResultsFile : IDisposable
{
    private const int F_OFD_SETLK = 37;
    private const short F_WRLCK = 1;

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int FcntlLock(int fd, int command, void* description);

    private readonly FileStream _stream;

    private ResultsFile(FileStream stream, Dictionary<string, RecordedResult> recorded, HashSet<string> outputNames, int lines, int unreadable, bool droppedPartialLine)
    {
        _stream = stream;
        Recorded = recorded;
        OutputFileNames = outputNames;
        LineCount = lines;
        UnreadableLines = unreadable;
        DroppedPartialLine = droppedPartialLine;
    }

    /// <summary>The last line recorded for each id, from earlier runs.</summary>
    public IReadOnlyDictionary<string, RecordedResult> Recorded { get; }

    /// <summary>The file names (without directory) of every output file a line refers to, from earlier runs.</summary>
    public IReadOnlySet<string> OutputFileNames { get; }

    /// <summary>How many lines the file holds (grows with each append).</summary>
    public int LineCount { get; private set; }

    /// <summary>Lines of the existing file that are not result lines (ignored).</summary>
    public int UnreadableLines { get; }

    /// <summary>True when the file ended with a partial line (a run killed while writing it), which was removed.</summary>
    public bool DroppedPartialLine { get; }

    /// <summary>Opens (or creates) the file, reads what it records, and cuts a partial last line.</summary>
    /// <exception cref="IOException">It cannot be opened, or another batch holds it.</exception>
    public static ResultsFile Open(string path)
    {
        var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite, bufferSize: 0);
        try
        {
            if (!TryLock(stream)) throw new IOException("another timebox batch is appending to it");
            var content = new byte[stream.Length];
            stream.ReadExactly(content);
            var complete = content.AsSpan().LastIndexOf((byte)'\n') + 1;
            var dropped = complete < content.Length;
            if (dropped) stream.SetLength(complete);
            stream.Seek(complete, SeekOrigin.Begin);
            var recorded = new Dictionary<string, RecordedResult>(StringComparer.Ordinal);
            var outputNames = new HashSet<string>(StringComparer.Ordinal);
            var lines = 0;
            var unreadable = 0;
            var rest = content.AsMemory(0, complete);
            while (rest.Length > 0)
            {
                var end = rest.Span.IndexOf((byte)'\n');
                var line = rest[..end];
                rest = rest[(end + 1)..];
                lines++;
                if (Read(line) is { } result)
                {
                    recorded[result.Id] = result;
                    if (result.StdoutFile is { } stdout) outputNames.Add(Path.GetFileName(stdout));
                    if (result.StderrFile is { } stderr) outputNames.Add(Path.GetFileName(stderr));
                }
                else unreadable++;
            }
            return new ResultsFile(stream, recorded, outputNames, lines, unreadable, dropped);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    private static bool TryLock(FileStream stream)
    {
        if (!OperatingSystem.IsLinux()) return true;
        // struct flock on Linux x86-64 and arm64: short l_type, short l_whence, off_t l_start, off_t l_len, pid_t l_pid.
        var description = stackalloc byte[32];
        new Span<byte>(description, 32).Clear();
        *(short*)description = F_WRLCK; // whole file: whence SEEK_SET, start 0, length 0; pid 0 as OFD locks require
        return FcntlLock((int)stream.SafeFileHandle.DangerousGetHandle(), F_OFD_SETLK, description) == 0;
    }

    private static RecordedResult? Read(ReadOnlyMemory<byte> line)
    {
        try
        {
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.String
                || !root.TryGetProperty("attempt", out var attempt) || attempt.ValueKind != JsonValueKind.Number || !attempt.TryGetInt32(out var number)
                || !root.TryGetProperty("outcome", out var outcome) || outcome.ValueKind != JsonValueKind.String)
                return null;
            Outcome? ended = null;
            if (outcome.GetString() is var name && name != ReportOutcome.StartFailed)
            {
                if (!ReportOutcome.TryParse(name!, out var parsed)) return null;
                ended = parsed;
            }
            int? exitCode = root.TryGetProperty("exit_code", out var code) && code.ValueKind == JsonValueKind.Number && code.TryGetInt32(out var value) ? value : null;
            return new RecordedResult(id.GetString()!, number, ended, exitCode, Text(root, "stdout_file"), Text(root, "stderr_file"));
        }
        catch (Exception exception) when (exception is JsonException or InvalidOperationException)
        {
            // Not JSON, or a string that is not text (invalid UTF-8, a lone surrogate escape).
            return null;
        }
    }

    private static string? Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>
    /// Appends one line (which must end with a newline) in a single write. When the write fails part way (a full disk),
    /// the file is cut back to its last whole line before the error is thrown, so that it stays valid JSON Lines.
    /// </summary>
    public void Append(ReadOnlySpan<byte> line)
    {
        var whole = _stream.Position;
        try
        {
            _stream.Write(line);
            _stream.Flush();
        }
        catch (IOException)
        {
            CutBackTo(whole);
            throw;
        }
        LineCount++;
    }

    private void CutBackTo(long length)
    {
        try
        {
            _stream.SetLength(length);
            _stream.Position = length;
        }
        catch (IOException)
        {
            // The partial line stays; the next run removes it when it opens the file. The write's error is the one to report.
        }
    }

    public void Dispose() => _stream.Dispose();
}
