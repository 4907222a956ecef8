using System.Runtime.InteropServices;

namespace Timebox.Cli;

/// <summary>What the batch views need to know about stdout: whether it is a terminal, and how wide it is.</summary>
internal static unsafe partial class Terminal
{
    private const ulong TIOCGWINSZ = 0x5413;

    [LibraryImport("libc")] private static partial int isatty(int fd);
    [LibraryImport("libc")] private static partial int ioctl(int fd, ulong request, void* argument);

    /// <summary>True when stdout is a terminal that understands ANSI sequences (TERM is set and not "dumb").</summary>
    public static bool StdoutIsTerminal =>
        isatty(1) == 1 && Environment.GetEnvironmentVariable("TERM") is { Length: > 0 } term && term != "dumb";

    /// <summary>The terminal's width in columns, or 80 when it cannot tell.</summary>
    public static int Width
    {
        get
        {
            var size = stackalloc ushort[4];
            return ioctl(1, TIOCGWINSZ, size) == 0 && size[1] > 0 ? size[1] : 80;
        }
    }

    /// <summary>Writes text to stdout; false once stdout refuses (closed pipe), after which callers stop writing.</summary>
    public static bool Write(string text) => Descriptors.WriteAll(1, System.Text.Encoding.UTF8.GetBytes(text));
}
