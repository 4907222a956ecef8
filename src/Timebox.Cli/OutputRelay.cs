namespace Timebox.Cli;

/// <summary>
/// Copies one of the command's output pipes to timebox's own descriptor, for --idle-timeout, which must see every
/// write. Runs on its own thread with blocking reads and writes, so a slow reader of timebox's output slows the
/// command exactly as it would without the relay, and never the event loop. If timebox's output is closed, the pipe
/// is closed too, so the command gets SIGPIPE on its next write as it would have without the relay.
/// </summary>
internal sealed class OutputRelay
{
    private const int BufferSize = 64 * 1024;
    private readonly int _source;
    private readonly int _target;
    private readonly Action _onOutput;
    private readonly Action _onEnded;
    private volatile bool _ended;

    /// <summary>Starts relaying; <paramref name="onOutput"/> runs (on the relay's thread) for each read, <paramref name="onEnded"/> once every writer has closed the pipe.</summary>
    public OutputRelay(int source, int target, Action onOutput, Action onEnded)
    {
        _source = source;
        _target = target;
        _onOutput = onOutput;
        _onEnded = onEnded;
        new Thread(Run) { IsBackground = true, Name = $"timebox relay to fd {target}" }.Start();
    }

    /// <summary>True once every writer has closed the pipe.</summary>
    public bool Ended => _ended;

    private void Run()
    {
        var buffer = new byte[BufferSize];
        while (Descriptors.Read(_source, buffer) is var count and > 0)
        {
            _onOutput();
            if (!Descriptors.WriteAll(_target, buffer.AsSpan(0, (int)count))) break;
        }
        Descriptors.Close(_source);
        _ended = true;
        _onEnded();
    }
}
