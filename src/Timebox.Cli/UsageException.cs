namespace Timebox.Cli;

/// <summary>A command line timebox cannot run: reported as GNU tools do, followed by the "Try ... --help" line, with status 125.</summary>
internal sealed class UsageException(string message) : Exception(message);
