namespace Timebox.Cli;

/// <summary>What the command line asks for: GNU timeout's options plus timebox's own.</summary>
internal sealed class CliOptions
{
    /// <summary>How long until the command is signaled; null for never (a DURATION of 0, or too large to expire).</summary>
    public TimeSpan? Duration { get; set; }

    /// <summary>How long after the first signal until SIGKILL; null for never (-k 0, or none).</summary>
    public TimeSpan? KillAfter { get; set; }

    public int Signal { get; set; } = Signals.Terminate;

    public bool Verbose { get; set; }

    public bool Foreground { get; set; }

    public bool PreserveStatus { get; set; }

    /// <summary>GNU's behaviour: only the command's process group is signaled; escaped descendants live on.</summary>
    public bool GroupOnly { get; set; }

    /// <summary>How long the command may write nothing before it is signaled; null for no idle limit.</summary>
    public TimeSpan? IdleTimeout { get; set; }

    public string? ReportPath { get; set; }

    public IReadOnlyList<string> Command { get; set; } = [];
}
