using Microsoft.Win32.SafeHandles;

namespace Timebox.Output;

/// <summary>
/// Captures one output stream on the event loop thread. The pipe is read straight into the buffer's free space:
/// memory chunks growing from 4 KiB to 1 MiB; past the spill threshold, a staging buffer written to an unnamed
/// temporary file; past a limit's head, a scratch buffer whose bytes feed a ring that keeps the tail.
/// </summary>
internal sealed class CaptureBuffer(CaptureLimit? limit, long? spillThreshold, string spillDirectory)
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

    /// <summary>Free space to read the pipe into; pass how much was read to <see cref="Advance"/>.</summary>
    public Span<byte> GetSpan() => GetMemory().Span;

    /// <summary>As <see cref="GetSpan"/>, for an asynchronous read (Windows).</summary>
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
        if (_file is null)
        {
            _inMemory += count;
            if (_inMemory >= spillThreshold) MoveToFile();
        }
    }

    /// <summary>Hands the captured bytes (and the spill file, if any) over to the result.</summary>
    public CaptureContent TakeContent()
    {
        List<byte[]> chunks = [];
        if (_file is not null)
        {
            WriteStaging();
        }
        else
        {
            chunks.AddRange(_full);
            if (_current is not null && _used > 0) chunks.Add(_used == _current.Length ? _current : _current[.._used]);
        }
        var content = new CaptureContent(_file, _fileLength, chunks, LinearTail(), Total);
        _file = null;
        _full.Clear();
        _current = null;
        return content;
    }

    private void NextBuffer()
    {
        if (_file is not null)
        {
            WriteStaging();
            _current ??= new byte[StagingSize];
            return;
        }
        if (_current is not null) _full.Add(_current);
        _current = new byte[_current is null ? FirstChunk : Math.Min(_current.Length * 2, LargestChunk)];
        _used = 0;
    }

    private void MoveToFile()
    {
        _file = SpillFile.Create(spillDirectory);
        foreach (var chunk in _full) Append(chunk);
        Append(_current.AsSpan(0, _used));
        _full.Clear();
        _current = new byte[StagingSize];
        _used = 0;
        _inMemory = 0;
    }

    private void WriteStaging()
    {
        Append(_current.AsSpan(0, _used));
        _used = 0;
    }

    private void Append(ReadOnlySpan<byte> bytes)
    {
        RandomAccess.Write(_file!, bytes, _fileLength);
        _fileLength += bytes.Length;
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
