using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Timebox.Cli;

/// <summary>One job of a job file: its line number, its id, the command built from its fields, and the line itself (what a distributed batch sends its workers).</summary>
internal sealed record JobLine(int Line, string Id, Command Command, string Text);

/// <summary>A line of a job file that is not a job, and why.</summary>
internal sealed record MalformedLine(int Line, string Reason);

/// <summary>
/// Reads a job file: JSON Lines, one job object a line, blank lines ignored. Fields: id (string or number; the line
/// number when absent), command (array of strings) or shell (a string run by /bin/sh -c), and optionally timeout,
/// kill_after, idle_timeout (durations as the CLI takes them, a string or a number of seconds), cwd, env (an object of
/// strings, null unsets) and stdin (text). Parsed with JsonDocument: no reflection, safe under NativeAOT.
/// </summary>
internal static class JobFile
{
    /// <summary>The grace period between the termination signal and SIGKILL when a job gives no kill_after.</summary>
    public static readonly TimeSpan DefaultKillAfter = Command.DefaultGracePeriod;

    /// <summary>The spill threshold of a job's captured output: beyond it, the capture moves to a temporary file, so memory stays bounded at any -j.</summary>
    private const long SpillThreshold = 1 << 20;

    private static readonly string[] Fields = ["id", "command", "shell", "timeout", "kill_after", "idle_timeout", "cwd", "env", "stdin"];

    public static (List<JobLine> Jobs, List<MalformedLine> Malformed) Parse(ReadOnlyMemory<byte> content)
    {
        var jobs = new List<JobLine>();
        var malformed = new List<MalformedLine>();
        var firstLineOf = new Dictionary<string, int>(StringComparer.Ordinal);
        var line = 0;
        var rest = content;
        while (rest.Length > 0)
        {
            line++;
            var end = rest.Span.IndexOf((byte)'\n');
            var text = end < 0 ? rest : rest[..end];
            rest = end < 0 ? ReadOnlyMemory<byte>.Empty : rest[(end + 1)..];
            if (IsBlank(text.Span)) continue;
            if (NotText(text.Span) is { } reason)
            {
                malformed.Add(new MalformedLine(line, reason));
                continue;
            }
            try
            {
                var job = ParseLine(text, line);
                if (firstLineOf.TryGetValue(job.Id, out var first))
                {
                    malformed.Add(new MalformedLine(line, $"duplicate id {Quoting.Quote(job.Id)} (first on line {first.ToString(CultureInfo.InvariantCulture)})"));
                    continue;
                }
                firstLineOf[job.Id] = line;
                jobs.Add(job);
            }
            catch (JsonException exception)
            {
                var column = exception.BytePositionInLine is { } position ? $" (at byte {TextFormat.Number(position + 1)})" : "";
                malformed.Add(new MalformedLine(line, $"not valid JSON{column}"));
            }
            catch (InvalidOperationException)
            {
                // The line is valid UTF-8 (checked above), so what JsonElement.GetString could not transcode is an escape.
                malformed.Add(new MalformedLine(line, "a string holds a lone surrogate escape (such as \\ud800), which is no character"));
            }
            catch (Exception exception) when (exception is FormatException or UsageException or ArgumentException)
            {
                malformed.Add(new MalformedLine(line, exception is UsageException usage ? usage.Diagnostic ?? usage.Message : exception.Message));
            }
        }
        return (jobs, malformed);
    }

    /// <summary>Why the line's bytes are not UTF-8 text a job can be read from (a byte order mark, an invalid sequence), or null.</summary>
    private static string? NotText(ReadOnlySpan<byte> text)
    {
        if (text.StartsWith("\uFEFF"u8)) return "starts with a byte order mark (U+FEFF): job files are UTF-8 without one";
        if (System.Text.Unicode.Utf8.IsValid(text)) return null;
        var offset = 0;
        while (Rune.DecodeFromUtf8(text[offset..], out _, out var length) == System.Buffers.OperationStatus.Done) offset += length;
        return $"not valid UTF-8 (at byte {TextFormat.Number(offset + 1)})";
    }

    private static bool IsBlank(ReadOnlySpan<byte> text)
    {
        foreach (var b in text)
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r')) return false;
        return true;
    }

    private static JobLine ParseLine(ReadOnlyMemory<byte> text, int line)
    {
        using var document = JsonDocument.Parse(text);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw new FormatException("a job must be a JSON object");
        foreach (var property in root.EnumerateObject())
        {
            if (!Fields.Contains(property.Name, StringComparer.Ordinal))
                throw new FormatException($"unknown field {Quoting.Quote(property.Name)} (known: {string.Join(", ", Fields)})");
        }

        var id = root.TryGetProperty("id", out var idElement)
            ? idElement.ValueKind switch
            {
                JsonValueKind.String => idElement.GetString()!,
                JsonValueKind.Number => idElement.GetRawText(),
                _ => throw new FormatException("id must be a string or a number"),
            }
            : line.ToString(CultureInfo.InvariantCulture);
        if (id.Length == 0) throw new FormatException("id must not be empty");

        var hasCommand = root.TryGetProperty("command", out var commandElement);
        var hasShell = root.TryGetProperty("shell", out var shellElement);
        if (hasCommand == hasShell) throw new FormatException("a job needs either command (an array of strings) or shell (a string)");
        Command command;
        if (hasCommand)
        {
            if (commandElement.ValueKind != JsonValueKind.Array) throw new FormatException("command must be an array of strings");
            var argv = new List<string>();
            foreach (var item in commandElement.EnumerateArray())
                argv.Add(item.ValueKind == JsonValueKind.String ? item.GetString()! : throw new FormatException("command must be an array of strings"));
            if (argv.Count == 0 || argv[0].Length == 0) throw new FormatException("command must name a program");
            command = new Command(argv[0], argv.Skip(1));
        }
        else
        {
            command = Command.Shell(String(shellElement, "shell"));
        }

        if (Duration(root, "timeout", DurationParser.Parse) is { } deadline) command = command.WithTimeout(deadline);
        if (Duration(root, "idle_timeout", DurationParser.Parse) is { } silence) command = command.WithIdleTimeout(silence);
        var killAfter = DefaultKillAfter;
        if (IsSet(root, "kill_after"))
            killAfter = Duration(root, "kill_after", DurationParser.ParseDelay) ?? throw new FormatException("kill_after must be finite: a job that ignores its signal would hold its worker forever");
        command = command.WithGracePeriod(killAfter);
        if (root.TryGetProperty("cwd", out var cwd)) command = command.WithWorkingDirectory(String(cwd, "cwd"));
        if (root.TryGetProperty("env", out var env))
        {
            if (env.ValueKind != JsonValueKind.Object) throw new FormatException("env must be an object of strings (null unsets)");
            foreach (var variable in env.EnumerateObject())
            {
                var value = variable.Value.ValueKind switch
                {
                    JsonValueKind.String => variable.Value.GetString(),
                    JsonValueKind.Null => null,
                    _ => throw new FormatException($"env: {Quoting.Quote(variable.Name)} must be a string or null"),
                };
                command = command.WithEnvironment(variable.Name, value);
            }
        }
        if (root.TryGetProperty("stdin", out var stdin)) command = command.WithStdin(StdinSource.FromString(String(stdin, "stdin"), new UTF8Encoding(false)));

        // Captured whole (large output spills to an unnamed temporary file, then is copied to the output directory), and
        // killed with timebox: a batch killed even by SIGKILL leaves none of its jobs running.
        command = command.WithSpill(SpillThreshold).WithKillOnParentExit();
        return new JobLine(line, id, command, System.Text.Encoding.UTF8.GetString(text.Span));
    }

    private static string String(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.String ? element.GetString()! : throw new FormatException($"{name} must be a string");

    private static bool IsSet(JsonElement root, string name) => root.TryGetProperty(name, out var element) && element.ValueKind != JsonValueKind.Null;

    /// <summary>A duration field (a string such as "1.5m" or a number of seconds) as <paramref name="parse"/> reads it; null when absent or null.</summary>
    private static TimeSpan? Duration(JsonElement root, string name, Func<string, TimeSpan?> parse)
    {
        if (!IsSet(root, name)) return null;
        var element = root.GetProperty(name);
        var text = element.ValueKind switch
        {
            JsonValueKind.String => element.GetString()!,
            JsonValueKind.Number => element.GetRawText(),
            _ => throw new FormatException($"{name} must be a duration (a string such as \"1.5m\" or a number of seconds)"),
        };
        try
        {
            return parse(text);
        }
        catch (UsageException exception)
        {
            throw new FormatException($"{name}: {exception.Diagnostic}", exception);
        }
    }
}
