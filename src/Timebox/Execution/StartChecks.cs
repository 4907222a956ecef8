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

    /// <exception cref="OutputTargetException">A spill directory was set and does not exist.</exception>
    public static void SpillDirectory(Command command)
    {
        if (command.SpillDirectory is { } directory && !Directory.Exists(directory))
            throw new OutputTargetException(command, directory, new DirectoryNotFoundException($"The spill directory '{directory}' does not exist."));
    }
}
