namespace Timebox;

/// <summary>One line of a program's output, decoded with the command's encoding, without its terminator.</summary>
/// <param name="Source">The stream it came from.</param>
/// <param name="Text">The text, without the line terminator.</param>
/// <param name="Ending">What ended it, so progress updates (<c>\r</c>) and a final unterminated line can be told apart.</param>
public readonly record struct OutputLine(OutputSource Source, string Text, LineEnding Ending)
{
    /// <summary>Lines longer than this many characters (1 Mi) are delivered in pieces, so a program that never writes a newline cannot make memory grow without bound.</summary>
    public const int MaxLength = 1 << 20;

    /// <summary>The text.</summary>
    public override string ToString() => Text;
}
