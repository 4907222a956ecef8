namespace Timebox.Platform.Unix;

/// <summary>
/// Reads one non-blocking output pipe on the event loop into chunks that grow from 4 KiB to 1 MiB, reading
/// straight into the chunk's free space (no intermediate copy). Only the loop thread touches it.
/// </summary>
internal sealed unsafe class PipeCapture(int fd)
{
    private const int FirstChunk = 4096, LargestChunk = 1 << 20, MaxBytesPerEvent = 4 << 20;
    private readonly List<byte[]> _full = [];
    private byte[]? _current;
    private int _used;

    public int Fd { get; private set; } = fd;

    public long Length { get; private set; }

    public bool Ended => Fd < 0;

    /// <summary>Reads what is available; returns true at end-of-file. Bounded per call so one busy pipe cannot starve other runs.</summary>
    public bool ReadAvailable()
    {
        var budget = MaxBytesPerEvent;
        while (budget > 0)
        {
            if (_current is null || _used == _current.Length) NextChunk();
            nint n;
            fixed (byte* p = &_current![_used]) n = Libc.read(Fd, p, _current.Length - _used);
            if (n > 0)
            {
                _used += (int)n;
                Length += n;
                budget -= (int)n;
                continue;
            }
            if (n == 0) return true;
            var errno = Libc.Errno;
            if (errno == Libc.EINTR) continue;
            if (errno == Libc.EAGAIN) return false;
            throw new IOException($"read from output pipe failed: errno {errno}");
        }
        return false;
    }

    /// <summary>Closes the pipe; called by the run after unwatching it.</summary>
    public void Close()
    {
        if (Fd < 0) return;
        Libc.close(Fd);
        Fd = -1;
    }

    public CapturedOutput ToOutput(System.Text.Encoding encoding)
    {
        var chunks = new List<byte[]>(_full.Count + 1);
        chunks.AddRange(_full);
        if (_current is not null && _used > 0) chunks.Add(_used == _current.Length ? _current : _current[.._used]);
        return new CapturedOutput(chunks, Length, encoding);
    }

    private void NextChunk()
    {
        if (_current is not null) _full.Add(_current);
        var size = _current is null ? FirstChunk : Math.Min(_current.Length * 2, LargestChunk);
        _current = new byte[size];
        _used = 0;
    }
}
