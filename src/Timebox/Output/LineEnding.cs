namespace Timebox;

/// <summary>What ended a line delivered by <see cref="RunningProcess.ReadLinesAsync"/> or <see cref="OutputTarget.ToLines(Action{string})"/>.</summary>
public enum LineEnding
{
    /// <summary><c>\n</c>.</summary>
    LineFeed,

    /// <summary><c>\r\n</c>.</summary>
    CarriageReturnLineFeed,

    /// <summary>
    /// A lone <c>\r</c>: the program redraws the line in place (progress bars, ffmpeg's <c>frame=…</c>). Delivered at
    /// once; when the <c>\n</c> of a <c>\r\n</c> arrives in a later read, it is dropped rather than delivered as an empty line.
    /// </summary>
    CarriageReturn,

    /// <summary>The stream ended after text without a line terminator: the final line is still delivered.</summary>
    EndOfStream,

    /// <summary>The line reached <see cref="OutputLine.MaxLength"/> characters without a terminator; the rest follows as further lines.</summary>
    LengthLimit,
}
