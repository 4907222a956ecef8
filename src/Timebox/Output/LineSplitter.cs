using System.Text;

namespace Timebox.Output;

/// <summary>
/// Turns a stream's bytes, as they arrive in arbitrary pieces, into lines: decodes with a stateful decoder (a character
/// split across reads is decoded whole; invalid bytes become U+FFFD) and splits on <c>\n</c>, <c>\r\n</c> and lone <c>\r</c>.
/// </summary>
internal sealed class LineSplitter(Encoding encoding)
{
    private readonly Decoder _decoder = encoding.GetDecoder();
    private readonly StringBuilder _line = new();
    private char[] _chars = new char[4096];
    private bool _dropLeadingLineFeed;

    /// <summary>Decodes <paramref name="bytes"/> and adds every line they complete to <paramref name="lines"/>.</summary>
    public void Push(ReadOnlySpan<byte> bytes, List<(string Text, LineEnding Ending)> lines)
    {
        var needed = _decoder.GetCharCount(bytes, flush: false);
        if (needed > _chars.Length) _chars = new char[Math.Max(needed, _chars.Length * 2)];
        var count = _decoder.GetChars(bytes, _chars, flush: false);
        Split(_chars.AsSpan(0, count), lines);
    }

    /// <summary>Ends the stream: bytes of an unfinished character become U+FFFD, and an unterminated last line is added.</summary>
    public void Finish(List<(string Text, LineEnding Ending)> lines)
    {
        var count = _decoder.GetChars([], _chars, flush: true);
        Split(_chars.AsSpan(0, count), lines);
        if (_line.Length > 0) Emit(LineEnding.EndOfStream, lines);
    }

    private void Split(ReadOnlySpan<char> text, List<(string Text, LineEnding Ending)> lines)
    {
        if (_dropLeadingLineFeed && text.Length > 0)
        {
            _dropLeadingLineFeed = false;
            if (text[0] == '\n') text = text[1..];
        }
        while (text.Length > 0)
        {
            var end = text.IndexOfAny('\r', '\n');
            var piece = end < 0 ? text : text[..end];
            if (end >= 0 && _line.Length == 0 && piece.Length < OutputLine.MaxLength && text[end] == '\n')
            {
                // The common case, a whole line within one read: one string straight from the decoded text.
                lines.Add((new string(piece), LineEnding.LineFeed));
                text = text[(end + 1)..];
                continue;
            }
            while (piece.Length > 0)
            {
                // A full line is cut only once more of it arrives: its terminator may come in the next read, and how
                // the writes fell must not change the lines.
                if (_line.Length == OutputLine.MaxLength) Emit(LineEnding.LengthLimit, lines);
                var taken = Math.Min(OutputLine.MaxLength - _line.Length, piece.Length);
                _line.Append(piece[..taken]);
                piece = piece[taken..];
            }
            if (end < 0) return;
            if (text[end] == '\n')
            {
                Emit(LineEnding.LineFeed, lines);
                text = text[(end + 1)..];
            }
            else if (end + 1 < text.Length)
            {
                var crlf = text[end + 1] == '\n';
                Emit(crlf ? LineEnding.CarriageReturnLineFeed : LineEnding.CarriageReturn, lines);
                text = text[(end + (crlf ? 2 : 1))..];
            }
            else
            {
                // A \r at the end of what has arrived: deliver the update now rather than wait for the next write,
                // and drop the \n if that turns out to be the rest of a \r\n.
                Emit(LineEnding.CarriageReturn, lines);
                _dropLeadingLineFeed = true;
                return;
            }
        }
    }

    private void Emit(LineEnding ending, List<(string Text, LineEnding Ending)> lines)
    {
        lines.Add((_line.ToString(), ending));
        _line.Clear();
    }
}
