namespace Timebox.Cli;

/// <summary>
/// A command line timebox cannot run: reported as GNU tools do, the diagnostic (if any) then the "Try ... --help"
/// line, with status 125.
/// </summary>
internal sealed class UsageException(string? diagnostic) : Exception(diagnostic ?? "usage error")
{
    public string? Diagnostic { get; } = diagnostic;
}
