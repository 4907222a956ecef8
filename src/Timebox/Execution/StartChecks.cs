using Timebox.Output;

namespace Timebox.Execution;

/// <summary>The directory checks every platform makes before it starts anything, each failing with its own exception.</summary>
internal static class StartChecks
{
    /// <summary>The full path of the command's working directory; null when it has none (the host's is used).</summary>
    /// <exception cref="WorkingDirectoryException">It does not exist or is not a directory.</exception>
    public static string? WorkingDirectory(Command command)
    {
        if (command.WorkingDirectory is not { } directory) return null;
        var full = Path.GetFullPath(directory);
        if (File.Exists(full)) throw new WorkingDirectoryException(command, directory, "is not a directory");
        if (!Directory.Exists(full)) throw new WorkingDirectoryException(command, directory, "does not exist");
        return full;
    }

    /// <summary>
    /// A spill directory that was set must take a spill file now: one is created and closed at once (a file without a name,
    /// as when the capture spills), so a read-only, full or unwritable directory fails here, before anything runs, rather
    /// than in the middle of the run.
    /// </summary>
    /// <exception cref="OutputTargetException">It does not exist, is not a directory, or takes no file (the system's words).</exception>
    public static void SpillDirectory(Command command, SpillFiles spillFiles)
    {
        if (command.SpillDirectory is not { } directory || command.SpillThreshold is null) return;
        if (File.Exists(directory)) throw SpillDirectoryUnusable(command, directory, "is not a directory");
        if (!Directory.Exists(directory)) throw SpillDirectoryUnusable(command, directory, "does not exist");
        try
        {
            spillFiles.Create(directory).Dispose();
        }
        catch (IOException exception)
        {
            throw new OutputTargetException(command, directory, $"Cannot create spill files in '{directory}': {exception.Message}", exception);
        }
    }

    private static OutputTargetException SpillDirectoryUnusable(Command command, string directory, string reason) =>
        new(command, directory, $"Spill directory '{directory}' {reason}", inner: null);
}
