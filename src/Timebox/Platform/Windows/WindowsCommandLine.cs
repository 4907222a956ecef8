using System.Text;

namespace Timebox.Platform.Windows;

/// <summary>
/// Windows passes a program one string, not an argument list: each program splits it itself, almost always by the rules
/// of the Microsoft C runtime (what CommandLineToArgvW implements). This builds the string those rules split back into
/// exactly the command's arguments. Two programs parse their command line their own way and get it their way:
/// cmd.exe (after <c>/c</c> or <c>/k</c> comes a command line for it, passed verbatim, as <see cref="Command.Shell"/> needs)
/// and batch files (run through cmd.exe explicitly, each argument quoted, refusing what cmd.exe would expand).
/// </summary>
internal static class WindowsCommandLine
{
    /// <summary>The application to start (the resolved program, or cmd.exe for a batch file) and its command line.</summary>
    public static (string Application, string CommandLine) For(Command command, string resolvedPath)
    {
        var line = new StringBuilder();
        var extension = Path.GetExtension(resolvedPath);
        if (extension.Equals(".bat", StringComparison.OrdinalIgnoreCase) || extension.Equals(".cmd", StringComparison.OrdinalIgnoreCase))
            return BatchFile(command, resolvedPath);

        AppendProgram(line, command.Program);
        var isCmd = Path.GetFileName(resolvedPath).Equals("cmd.exe", StringComparison.OrdinalIgnoreCase);
        for (var i = 0; i < command.Arguments.Count; i++)
        {
            var argument = command.Arguments[i];
            if (isCmd && (argument.Equals("/c", StringComparison.OrdinalIgnoreCase) || argument.Equals("/k", StringComparison.OrdinalIgnoreCase)))
            {
                // /s: cmd.exe removes the outer quotes and runs what is between them as it is.
                line.Append(" /s ").Append(argument).Append(" \"").AppendJoin(' ', command.Arguments.Skip(i + 1)).Append('"');
                break;
            }
            line.Append(' ');
            AppendArgument(line, argument);
        }
        return (resolvedPath, line.ToString());
    }

    /// <summary>Quotes one argument so that the C runtime's parser gives it back unchanged.</summary>
    public static void AppendArgument(StringBuilder line, string argument)
    {
        if (argument.Length > 0 && argument.AsSpan().IndexOfAny(" \t\n\v\"") < 0)
        {
            line.Append(argument);
            return;
        }
        line.Append('"');
        var backslashes = 0;
        foreach (var c in argument)
        {
            if (c == '\\')
            {
                backslashes++;
                continue;
            }
            // Backslashes are literal unless they precede a quote: then each one is doubled, and the quote escaped.
            line.Append('\\', c == '"' ? (2 * backslashes) + 1 : backslashes).Append(c);
            backslashes = 0;
        }
        // Before the closing quote, backslashes are doubled so that it stays a closing quote.
        line.Append('\\', 2 * backslashes).Append('"');
    }

    // The first word is parsed differently (quotes only group, backslashes are literal); a path cannot contain a quote.
    private static void AppendProgram(StringBuilder line, string program)
    {
        if (program.AsSpan().IndexOfAny(" \t") < 0) line.Append(program);
        else line.Append('"').Append(program).Append('"');
    }

    // CreateProcess would run a batch file through cmd.exe by itself, with cmd.exe's own parsing applied to the arguments
    // (the "BatBadBut" problem): an argument could run commands. So cmd.exe is started explicitly, without AutoRun (/d) and
    // delayed expansion (/v:OFF), each argument quoted (so & | < > ^ ( ) are literal); what quoting cannot protect is refused.
    private static (string, string) BatchFile(Command command, string batchPath)
    {
        foreach (var argument in command.Arguments)
        {
            if (argument.AsSpan().IndexOfAny("\"%\r\n") >= 0)
                throw new CommandStartException(command, $"An argument to the batch file '{batchPath}' contains a quote, % or a line break, which cmd.exe would interpret; run cmd.exe yourself (Command.Shell) if that is intended");
        }
        var cmd = Path.Combine(Environment.SystemDirectory, "cmd.exe");
        var line = new StringBuilder();
        line.Append('"').Append(cmd).Append("\" /d /e:ON /v:OFF /c \"\"").Append(batchPath).Append('"');
        foreach (var argument in command.Arguments) line.Append(" \"").Append(argument).Append('"');
        line.Append('"');
        return (cmd, line.ToString());
    }
}
