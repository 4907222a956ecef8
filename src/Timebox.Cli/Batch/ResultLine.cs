using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Timebox.Cli;

/// <summary>
/// One line of a batch's results file: the --report object of the attempt, field for field and in the same order
/// (written by the same <see cref="RunReport.WriteFields"/>), followed by id, attempt, and each output stream either
/// inline (stdout, stderr: text, up to the inline limit) or as a file in the output directory (stdout_file,
/// stderr_file); the other of each pair is null. Both are null for a command that could not start.
/// </summary>
internal static class ResultLine
{
    /// <summary>The line, ending with a newline; the output files it refers to are added to <paramref name="saved"/> as they are written.</summary>
    public static byte[] Build(BatchResult attempt, BatchSettings settings, List<string> saved)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var json = new Utf8JsonWriter(buffer, RunReport.WriterOptions))
        {
            json.WriteStartObject();
            BatchRunReport.From(attempt).WriteFields(json);
            json.WriteString("id", attempt.Job.Id);
            json.WriteNumber("attempt", attempt.Attempt);
            WriteOutput(json, "stdout", attempt.Result?.Stdout, attempt, settings, saved);
            WriteOutput(json, "stderr", attempt.Result?.Stderr, attempt, settings, saved);
            json.WriteEndObject();
        }
        buffer.Write("\n"u8);
        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteOutput(Utf8JsonWriter json, string stream, CapturedOutput? output, BatchResult attempt, BatchSettings settings, List<string> saved)
    {
        if (output is null)
        {
            json.WriteNull(stream);
            json.WriteNull(stream + "_file");
            return;
        }
        if (output.Length <= settings.InlineLimit)
        {
            json.WriteString(stream, output.Text);
            json.WriteNull(stream + "_file");
            return;
        }
        json.WriteNull(stream);
        var file = SaveToFile(output, attempt, stream, settings.EffectiveOutputDirectory);
        saved.Add(file);
        json.WriteString(stream + "_file", file);
    }

    /// <summary>Copies the output to DIR/ID.ATTEMPT.STREAM (ID made safe for a file name; a number added if that name exists).</summary>
    private static string SaveToFile(CapturedOutput output, BatchResult attempt, string stream, string directory)
    {
        Directory.CreateDirectory(directory);
        var stem = $"{SafeName(attempt.Job.Id)}.{attempt.Attempt.ToString(CultureInfo.InvariantCulture)}";
        for (var copy = 1; ; copy++)
        {
            var name = copy == 1 ? $"{stem}.{stream}" : $"{stem}.{stream}.{copy.ToString(CultureInfo.InvariantCulture)}";
            var path = Path.Combine(directory, name);
            FileStream file;
            try
            {
                file = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
            }
            catch (IOException) when (File.Exists(path))
            {
                continue;
            }
            try
            {
                using (file)
                using (var content = output.OpenRead())
                {
                    content.CopyTo(file);
                }
            }
            catch
            {
                // A partial copy (a full disk) is no output: no line will refer to it.
                Remove(path);
                throw;
            }
            return path;
        }
    }

    /// <summary>Removes an output file no result line refers to, as far as it can (it is reported as not written either way).</summary>
    public static void Remove(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // Left behind: the error that led here is what gets reported.
        }
    }

    /// <summary>The id with every character but letters, digits, '.', '_' and '-' replaced, plus a hash of it when anything was.</summary>
    public static string SafeName(string id)
    {
        var name = new StringBuilder(Math.Min(id.Length, 80));
        foreach (var c in id.Length > 80 ? id[..80] : id)
            name.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '_');
        if (name.Length > 0 && name[0] == '.') name[0] = '_';
        var safe = name.ToString();
        if (safe == id) return safe;
        var hash = 2166136261u;
        foreach (var c in id) hash = (hash ^ c) * 16777619u;
        return $"{safe}-{hash.ToString("x8", CultureInfo.InvariantCulture)}";
    }
}
