using System.Text;
using Timebox.Output;

namespace Timebox.Tests.Units;

/// <summary>
/// <see cref="LineSplitter"/>: lines split on LF, CRLF and lone CR whatever the read boundaries, each with what ended it;
/// a character split across reads decoded whole, invalid bytes as U+FFFD; lines past <see cref="OutputLine.MaxLength"/> in pieces.
/// </summary>
[Trait("Category", "Unit")]
public sealed class LineSplitterTests
{
    private static readonly Encoding Utf8 = new UTF8Encoding(false);

    // Expected lines are written "text<ending>" one after the other: LF, CRLF, CR, EOS (end of stream), MAX (length limit).
    [Theory]
    [InlineData("", "")]
    [InlineData("a\n", "a<LF>")]
    [InlineData("a", "a<EOS>")]
    [InlineData("a\nb", "a<LF>b<EOS>")]
    [InlineData("a\r\nb\r\n", "a<CRLF>b<CRLF>")]
    [InlineData("a\rb\r", "a<CR>b<CR>")]
    [InlineData("\n", "<LF>")]
    [InlineData("\n\n\n", "<LF><LF><LF>")]
    [InlineData("\r\n\r\n", "<CRLF><CRLF>")]
    [InlineData("\r\r\n", "<CR><CRLF>")]
    [InlineData("\n\r", "<LF><CR>")]
    [InlineData("a\n\nb\n", "a<LF><LF>b<LF>")]
    [InlineData("10%\r20%\r100%\ndone\n", "10%<CR>20%<CR>100%<LF>done<LF>")]
    [InlineData("a\r\n\nb", "a<CRLF><LF>b<EOS>")]
    [InlineData("tab\there \u00e9\u20ac\U0001F600\n", "tab\there \u00e9\u20ac\U0001F600<LF>")]
    public void Text_in_one_read_splits_into_its_lines(string input, string expected) =>
        Assert.Equal(expected, Split(Utf8, [Utf8.GetBytes(input)]));

    // Whatever the boundaries, the lines are the same, with one exception tested below: a CR at the end of a read is
    // delivered at once, before the LF that would make it a CRLF has arrived.
    [Theory]
    [InlineData("a\nbc\n\nd")]
    [InlineData("one line only")]
    [InlineData("\n\n")]
    [InlineData("x\ry\rz")]
    [InlineData("x\r\ny\r\n")]
    [InlineData("\u00e9\u20ac\U0001F600\n\u00e9\n\U0001F600")]
    public void Every_read_boundary_gives_the_same_lines_except_inside_a_CRLF(string input)
    {
        var bytes = Utf8.GetBytes(input);
        var whole = Split(Utf8, [bytes]);
        for (var cut = 1; cut < bytes.Length; cut++)
        {
            if (bytes[cut - 1] == '\r' && bytes[cut] == '\n') continue;
            Assert.Equal(whole, Split(Utf8, [bytes[..cut], bytes[cut..]]));
        }
        if (!input.Contains("\r\n", StringComparison.Ordinal)) Assert.Equal(whole, Split(Utf8, [.. bytes.Select(b => new[] { b })]));
    }

    [Theory]
    [InlineData(new[] { "a\r", "\nb\n" }, "a<CR>b<LF>")]
    [InlineData(new[] { "a\r", "\n" }, "a<CR>")]
    [InlineData(new[] { "a\r", "\n\n" }, "a<CR><LF>")]
    [InlineData(new[] { "a\r", "b\n" }, "a<CR>b<LF>")]
    [InlineData(new[] { "a\r", "\r\n" }, "a<CR><CRLF>")]
    [InlineData(new[] { "a\r", "", "\nb" }, "a<CR>b<EOS>")]
    [InlineData(new[] { "a\r", "x", "\n" }, "a<CR>x<LF>")]
    [InlineData(new[] { "a\r\n", "\n" }, "a<CRLF><LF>")]
    public void A_CR_at_the_end_of_a_read_is_delivered_at_once_and_the_LF_that_follows_is_dropped(string[] reads, string expected) =>
        Assert.Equal(expected, Split(Utf8, [.. reads.Select(Utf8.GetBytes)]));

    [Theory]
    [InlineData(new byte[] { 0xff, (byte)'\n' }, "\ufffd<LF>")]
    [InlineData(new byte[] { (byte)'a', 0xc3, (byte)'\n' }, "a\ufffd<LF>")]
    [InlineData(new byte[] { 0xc0, 0xaf, (byte)'\n' }, "\ufffd\ufffd<LF>")]
    [InlineData(new byte[] { 0xed, 0xa0, 0x80, (byte)'\n' }, "\ufffd\ufffd\ufffd<LF>")]
    [InlineData(new byte[] { (byte)'a', 0xe2, 0x82 }, "a\ufffd<EOS>")]
    [InlineData(new byte[] { 0xf0, 0x9f, 0x98 }, "\ufffd<EOS>")]
    public void Invalid_UTF8_becomes_U_FFFD_and_never_throws(byte[] input, string expected) =>
        Assert.Equal(expected, Split(Utf8, [input]));

    [Fact]
    public void A_character_split_across_reads_is_decoded_whole()
    {
        var bytes = Utf8.GetBytes("\u20ac\U0001F600\n");
        for (var cut = 1; cut < bytes.Length; cut++)
            Assert.Equal("\u20ac\U0001F600<LF>", Split(Utf8, [bytes[..cut], bytes[cut..]]));
    }

    [Fact]
    public void An_unfinished_character_at_the_end_of_the_stream_becomes_U_FFFD()
    {
        var splitter = new LineSplitter(Utf8);
        var lines = new List<(string, LineEnding)>();
        splitter.Push([(byte)'x', 0xe2, 0x82], lines);
        Assert.Empty(lines);
        splitter.Finish(lines);
        Assert.Equal([("x\ufffd", LineEnding.EndOfStream)], lines);
    }

    [Fact]
    public void The_command_encoding_decodes()
    {
        Assert.Equal("caf\u00e9<LF>", Split(Encoding.Latin1, [[(byte)'c', (byte)'a', (byte)'f', 0xe9, (byte)'\n']]));
        Assert.Equal("\u00e9<CRLF>", Split(Encoding.Unicode, [Encoding.Unicode.GetBytes("\u00e9\r\n")]));
    }

    [Theory]
    [InlineData(-1, "\n", "L-1<LF>")]
    [InlineData(-1, "", "L-1<EOS>")]
    [InlineData(0, "", "L<EOS>")]
    [InlineData(0, "\n", "L<LF>")]
    [InlineData(1, "\n", "L<MAX>a<LF>")]
    [InlineData(1, "", "L<MAX>a<EOS>")]
    [InlineData(1, "\r\n", "L<MAX>a<CRLF>")]
    public void A_line_longer_than_the_limit_comes_in_pieces_of_the_limit(int beyond, string end, string expected)
    {
        // "L" stands for OutputLine.MaxLength characters 'a', "L-1" for one fewer.
        var text = new string('a', OutputLine.MaxLength + beyond) + end;
        var lines = Split(Utf8, [Utf8.GetBytes(text)])
            .Replace(new string('a', OutputLine.MaxLength), "L", StringComparison.Ordinal)
            .Replace(new string('a', OutputLine.MaxLength - 1), "L-1", StringComparison.Ordinal);
        Assert.Equal(expected, lines);
    }

    [Fact]
    public void How_the_reads_fall_around_the_limit_does_not_change_the_lines()
    {
        var limit = OutputLine.MaxLength;
        var text = Utf8.GetBytes(new string('a', limit) + "\n" + new string('b', limit + 1) + "\r\n" + new string('c', limit) + "\r" + new string('d', limit));
        var whole = Split(Utf8, [text]);
        foreach (var line in new[] { 0, limit + 1, 2 * limit + 3, 3 * limit + 4 })
            for (var offset = line + limit - 2; offset <= Math.Min(line + limit + 2, text.Length - 1); offset++)
            {
                // The one exception: a \r\n split between reads comes as \r at once (A_CR_at_the_end_of_a_read_…).
                if (text[offset - 1] == '\r' && text[offset] == '\n') continue;
                Assert.Equal(whole, Split(Utf8, [text[..offset], text[offset..]]));
            }
    }

    [Fact]
    public void A_line_without_end_is_cut_at_the_limit_as_it_grows_and_the_rest_comes_at_the_end_of_the_stream()
    {
        var splitter = new LineSplitter(Utf8);
        var lines = new List<(string Text, LineEnding Ending)>();
        var piece = Utf8.GetBytes(new string('b', OutputLine.MaxLength / 4 + 1));
        for (var i = 0; i < 8; i++) splitter.Push(piece, lines);
        Assert.Equal(2, lines.Count);
        Assert.All(lines, line => Assert.Equal((OutputLine.MaxLength, LineEnding.LengthLimit), (line.Text.Length, line.Ending)));
        splitter.Finish(lines);
        Assert.Equal((8, LineEnding.EndOfStream), (lines[2].Text.Length, lines[2].Ending));
    }

    [Fact]
    public void Finishing_without_a_pending_line_adds_nothing()
    {
        var splitter = new LineSplitter(Utf8);
        var lines = new List<(string, LineEnding)>();
        splitter.Push("a\n"u8, lines);
        splitter.Finish(lines);
        Assert.Equal([("a", LineEnding.LineFeed)], lines);
    }

    private static string Split(Encoding encoding, byte[][] reads)
    {
        var splitter = new LineSplitter(encoding);
        var lines = new List<(string Text, LineEnding Ending)>();
        foreach (var read in reads) splitter.Push(read, lines);
        splitter.Finish(lines);
        return string.Concat(lines.Select(line => $"{line.Text}<{Code(line.Ending)}>"));
    }

    private static string Code(LineEnding ending) => ending switch
    {
        LineEnding.LineFeed => "LF",
        LineEnding.CarriageReturnLineFeed => "CRLF",
        LineEnding.CarriageReturn => "CR",
        LineEnding.EndOfStream => "EOS",
        LineEnding.LengthLimit => "MAX",
        _ => throw new ArgumentOutOfRangeException(nameof(ending)),
    };
}
