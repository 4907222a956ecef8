using System.Text;

namespace Timebox.Cli;

/// <summary>
/// Text timebox prints: diagnostics prefixed with "timebox: " on stderr, help and version on stdout. Written straight
/// to the descriptors: System.Console would cost startup time the CLI cannot spare.
/// </summary>
internal static class Messages
{
    public const string ProgramName = "timebox";

    public static void Error(string message) => Write(2, $"{ProgramName}: {message}\n");

    public static void TryHelp() => Write(2, $"Try '{ProgramName} --help' for more information.\n");

    /// <summary>Writes to stdout; on failure says so on stderr, as GNU's close_stdout does, and returns false.</summary>
    public static bool Out(string text)
    {
        if (Write(1, text)) return true;
        Error($"write error: {Descriptors.LastError}");
        return false;
    }

    private static bool Write(int fd, string text) => Descriptors.WriteAll(fd, Encoding.UTF8.GetBytes(text));

    public const string Version = "timebox (Timebox) 0.1.0\nA drop-in for GNU timeout that contains the whole process tree.\n";

    public const string Help = """
        Usage: timebox [OPTION]... DURATION COMMAND [ARG]...
          or:  timebox batch JOBS.jsonl [OPTION]...   (see 'timebox batch --help')
        Start COMMAND, and kill it if still running after DURATION.

        Mandatory arguments to long options are mandatory for short options too.
          -f, --foreground
                         when not running timebox directly from a shell prompt,
                           allow COMMAND to read from the TTY and get TTY signals;
                           in this mode, COMMAND is not put in timebox's process group
          -k, --kill-after=DURATION
                         also send a KILL signal if COMMAND is still running
                           this long after the initial signal was sent
          -p, --preserve-status
                         exit with the same status as COMMAND,
                           even when the command times out
          -s, --signal=SIGNAL
                         specify the signal to be sent on timeout;
                           SIGNAL may be a name like 'HUP' or a number;
                           see 'kill -l' for a list of signals
          -v, --verbose  diagnose to standard error any signal sent upon timeout,
                           and print a summary line (outcome, time, CPU, memory) at the end
              --idle-timeout=DURATION
                         also time out when COMMAND writes nothing to stdout or
                           stderr for DURATION (its output is then relayed through timebox)
              --report=FILE
                         write one JSON object describing the run to FILE
              --group-only
                         like GNU timeout, signal only COMMAND's process group;
                           by default every descendant is signalled and killed,
                           including those that started a new session or double forked
              --help        display this help and exit
              --version     output version information and exit

        DURATION is a floating point number with an optional suffix:
        's' for seconds (the default), 'm' for minutes, 'h' for hours or 'd' for days.
        A duration of 0 disables the associated timeout.

        Upon timeout, send the TERM signal to COMMAND, if no other SIGNAL specified.
        The TERM signal kills any process that does not block or catch that signal.
        It may be necessary to use the KILL signal, since this signal can't be caught.

        Exit status:
          124  if COMMAND times out, and --preserve-status is not specified
          125  if the timebox command itself fails
          126  if COMMAND is found but cannot be invoked
          127  if COMMAND cannot be found
          137  if COMMAND (or timebox itself) is sent the KILL (9) signal (128+9)
          -    the exit status of COMMAND otherwise

        """;
}
