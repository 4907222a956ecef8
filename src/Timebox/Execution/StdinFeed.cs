namespace Timebox.Execution;

/// <summary>The host's end of the program's stdin pipe: handed to the caller, or fed from the command's bytes or stream.</summary>
internal static class StdinFeed
{
    /// <summary>
    /// Returns <paramref name="stdin"/> for the caller to write when the command asks for <see cref="StdinSource.Pipe"/>;
    /// otherwise starts writing the command's source into it, closes it at the end, and returns null.
    /// </summary>
    public static Stream? Connect(Command command, Stream stdin)
    {
        if (command.Stdin.Kind == StdinSource.SourceKind.Pipe) return stdin;
        _ = FeedAsync(command.Stdin, stdin);
        return null;
    }

    private static async Task FeedAsync(StdinSource source, Stream stdin)
    {
        await using (stdin.ConfigureAwait(false))
        {
            try
            {
                if (source.Kind == StdinSource.SourceKind.Bytes) await stdin.WriteAsync(source.Bytes).ConfigureAwait(false);
                else await source.Stream!.CopyToAsync(stdin).ConfigureAwait(false);
            }
            catch (IOException)
            {
                // The program closed its stdin (or ended) before reading everything: normal, as in Python's communicate().
            }
        }
    }
}
