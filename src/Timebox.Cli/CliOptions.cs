namespace Timebox.Cli;

/// <summary>What the command line asks for: GNU timeout's options plus timebox's own.</summary>
internal sealed class CliOptions
{
    /// <summary>Seconds until the command is signalled; 0 disables it, infinity never expires.</summary>
    public double Duration { get; set; }

    /// <summary>Seconds after the first signal until SIGKILL; 0 means never.</summary>
    public double KillAfter { get; set; }

    public int Signal { get; set; } = Signals.Terminate;

    public bool Verbose { get; set; }

    public bool Foreground { get; set; }

    public bool PreserveStatus { get; set; }

    /// <summary>GNU's behaviour: only the command's process group is signalled; escaped descendants live on.</summary>
    public bool GroupOnly { get; set; }

    /// <summary>Seconds without output before the command is signalled; 0 disables it.</summary>
    public double IdleTimeout { get; set; }

    public string? ReportPath { get; set; }

    public IReadOnlyList<string> Command { get; set; } = [];
}
