using System.Text;

namespace Timebox.Output;

/// <summary>Calls back once per line (see <see cref="LineSplitter"/> for what a line is); the final unterminated line is delivered at the end.</summary>
internal sealed class LineSink(Func<string, ValueTask> onLine, Encoding encoding) : IOutputSink
{
    private readonly LineSplitter _splitter = new(encoding);
    private readonly List<(string Text, LineEnding Ending)> _lines = [];

    public ValueTask WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        _splitter.Push(bytes.Span, _lines);
        return DeliverAsync();
    }

    public ValueTask CompleteAsync(CancellationToken cancellationToken)
    {
        _splitter.Finish(_lines);
        return DeliverAsync();
    }

    private async ValueTask DeliverAsync()
    {
        foreach (var (text, _) in _lines) await onLine(text).ConfigureAwait(false);
        _lines.Clear();
    }
}
