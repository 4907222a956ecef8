namespace Timebox;

/// <summary>The working directory does not exist, is not a directory, or cannot be entered.</summary>
public sealed class WorkingDirectoryException(Command command, string directory, string reason)
    : CommandStartException(command, $"Working directory '{directory}' {reason}")
{
    /// <summary>The working directory that was asked for.</summary>
    public string Directory { get; } = directory;
}
