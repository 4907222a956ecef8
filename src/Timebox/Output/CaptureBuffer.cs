using Microsoft.Win32.SafeHandles;

namespace Timebox.Output;

/// <summary>
/// Captures one output stream on the event loop thread. The pipe is read straight into the buffer's free space:
/// memory chunks growing from 4 KiB to 1 MiB; past the spill threshold, a staging buffer written to an unnamed
/// temporary file; past a limit's head, a scratch buffer whose bytes feed a ring that keeps the tail.
/// </summary>
/// <remarks>
/// Spilling never throws: when the file cannot be created or written (a full, read-only or failing file system) the
/// capture keeps what the file already holds, goes on in memory from there, and says so in <see cref="SpillFailure"/>, for
/// the run to end itself with the output captured so far.
/// </remarks>
internal sealed class CaptureBuffer(CaptureLimit? limit, long? spillThreshold, string spillDirectory, SpillFiles spillFiles, OutputSource source)
{
    private const int FirstChunk = 4096, LargestChunk = 1 << 20, StagingSize = 1 << 20, ScratchSize = 1 << 16;

    private readonly List<byte[]> _full = [];
    private byte[]? _current;
    private int _used;
    private long _inMemory;
    private SafeFileHandle? _file;
    private long _fileLength;
    private byte[]? _scratch;
    private bool _spanIsHead;
    private long _head;
    private byte[]? _tail;
    private int _tailEnd, _tailCount;

    /// <summary>Every byte the program wrote to the stream, kept or not.</summary>
    public long Total { get; private set; }

    /// <summary>True once more was written than the limit keeps.</summary>
    public bool LimitExceeded => limit is not null && Total > limit.MaxBytes;

    public OutputLimitAction? LimitAction => limit?.Action;

    /// <summary>Why the capture could not move to (or go on writing) its spill file; null while spilling works or is not needed.</summary>
    public IOException? SpillFailure { get; private set; }

    private bool Spilling => _file is not null && SpillFailure is null;

    /// <summary>Free space to read the pipe into; pass how much was read to <see cref="Advance"/>.</summary>
    public Span<byte> GetSpan() => GetMemory().Span;

    /// <summary>As <see cref="GetSpan"/>, as memory, which a reader can hold across an asynchronous read (see <see cref="OutputConsumers.NextBuffer"/>).</summary>
    public Memory<byte> GetMemory()
    {
        var allowance = limit is null ? long.MaxValue : limit.HeadBytes - _head;
        _spanIsHead = allowance > 0;
        if (!_spanIsHead) return _scratch ??= new byte[ScratchSize];
        if (_current is null || _used == _current.Length) NextBuffer();
        var free = _current.AsMemory(_used);
        return free.Length > allowance ? free[..(int)allowance] : free;
    }

    public void Advance(int count)
    {
        Total += count;
        if (!_spanIsHead)
        {
            KeepTail(_scratch.AsSpan(0, count));
            return;
        }
        _used += count;
        _head += count;
        if (_file is null && SpillFailure is null)
        {
            _inMemory += count;
            if (_inMemory >= spillThreshold) MoveToFile();
        }
    }

    /// <summary>
    /// Hands the captured bytes (and the spill file, if any) over to the result. Writes nothing: bytes not in the file yet
    /// (a staging buffer, or what came after a spill failure) follow it in memory.
    /// </summary>
    public CaptureContent TakeContent()
    {
        List<byte[]> chunks = [.. _full];
        if (_current is not null && _used > 0) chunks.Add(_used == _current.Length ? _current : _current[.._used]);
        var content = new CaptureContent(_file, _fileLength, chunks, LinearTail(), Total);
        _file = null;
        _full.Clear();
        _current = null;
        return content;
    }

    private void NextBuffer()
    {
        if (Spilling && TryAppend(_current.AsSpan(0, _used)))
        {
            _used = 0;
            return;
        }
        if (_current is not null) _full.Add(_current);
        _current = new byte[_current is null ? FirstChunk : Math.Min(_current.Length * 2, LargestChunk)];
        _used = 0;
    }

    // The chunks move one by one, so that after a failure the file holds a prefix and memory the rest, in order.
    private void MoveToFile()
    {
        try
        {
            _file = spillFiles.Create(spillDirectory);
        }
        catch (IOException exception)
        {
            Fail(exception);
            return;
        }
        var moved = 0;
        while (moved < _full.Count && TryAppend(_full[moved])) moved++;
        _full.RemoveRange(0, moved);
        if (!Spilling || !TryAppend(_current.AsSpan(0, _used))) return;
        _current = new byte[StagingSize];
        _used = 0;
        _inMemory = 0;
    }

    // A failed write may have put part of the bytes in the file; the file's length counts only whole writes, so those
    // bytes are never read, and the whole span stays in memory.
    private bool TryAppend(ReadOnlySpan<byte> bytes)
    {
        try
        {
            spillFiles.Write(_file!, bytes, _fileLength);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            Fail(exception);
            return false;
        }
        _fileLength += bytes.Length;
        return true;
    }

    // A file that holds nothing yet is let go at once: the capture is then a plain memory one.
    private void Fail(Exception exception)
    {
        SpillFailure = new IOException($"Could not spill {(source == OutputSource.Stdout ? "stdout" : "stderr")} to '{spillDirectory}': {exception.Message}", exception);
        if (_fileLength > 0) return;
        _file?.Dispose();
        _file = null;
    }

    private void KeepTail(ReadOnlySpan<byte> bytes)
    {
        var capacity = (int)limit!.TailBytes;
        if (capacity == 0) return;
        _tail ??= new byte[capacity];
        if (bytes.Length > capacity) bytes = bytes[^capacity..];
        var first = Math.Min(bytes.Length, capacity - _tailEnd);
        bytes[..first].CopyTo(_tail.AsSpan(_tailEnd));
        bytes[first..].CopyTo(_tail);
        _tailEnd = (_tailEnd + bytes.Length) % capacity;
        _tailCount = Math.Min(capacity, _tailCount + bytes.Length);
    }

    private byte[] LinearTail()
    {
        if (_tail is null) return [];
        if (_tailCount < _tail.Length) return _tail[.._tailCount];
        return [.. _tail.AsSpan(_tailEnd), .. _tail.AsSpan(0, _tailEnd)];
    }
}
