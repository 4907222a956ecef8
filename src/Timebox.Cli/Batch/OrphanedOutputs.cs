namespace Timebox.Cli;

/// <summary>
/// Output files that no result line refers to. A batch saves a job's large output (ResultLine) before it appends the
/// line that names it; a batch killed in between leaves the file, and the job, having no line, runs again and saves its
/// output under another name. The next run removes such files from the default output directory, RESULTS.output, which
/// belongs to the results file (locked while a batch appends to it). A directory given with --output-dir may be shared
/// with other batches, whose files are not named in this results file: there nothing is removed.
/// </summary>
internal static class OrphanedOutputs
{
    /// <summary>Removes the files of <paramref name="directory"/> named as output files (ID.ATTEMPT.STREAM[.N]) that are not in <paramref name="referenced"/>; returns how many.</summary>
    public static int Remove(string directory, IReadOnlySet<string> referenced)
    {
        if (!Directory.Exists(directory)) return 0;
        var removed = 0;
        try
        {
            foreach (var path in Directory.EnumerateFiles(directory))
            {
                var name = Path.GetFileName(path);
                if (referenced.Contains(name) || !IsOutputFileName(name)) continue;
                ResultLine.Remove(path);
                removed++;
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // An unreadable directory: the batch reports it when it saves output there, if it has to.
        }
        return removed;
    }

    /// <summary>True for ID.ATTEMPT.stdout, ID.ATTEMPT.stderr and either with .COPY after it (see ResultLine.SaveToFile).</summary>
    private static bool IsOutputFileName(string name)
    {
        var parts = name.Split('.');
        var stream = parts.Length - 1;
        if (parts.Length >= 4 && IsNumber(parts[^1])) stream--;
        return stream >= 2 && parts[stream] is "stdout" or "stderr" && IsNumber(parts[stream - 1]) && parts[0].Length > 0;
    }

    private static bool IsNumber(string text) => text.Length > 0 && text.All(char.IsAsciiDigit);
}
