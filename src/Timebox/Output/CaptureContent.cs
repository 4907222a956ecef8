using Microsoft.Win32.SafeHandles;

namespace Timebox.Output;

/// <summary>
/// Where captured bytes ended up, in order: the spill file's first <see cref="FileLength"/> bytes (if it spilled),
/// then the memory chunks, then the tail kept past a limit.
/// </summary>
internal sealed record CaptureContent(SafeFileHandle? File, long FileLength, List<byte[]> Chunks, byte[] Tail, long TotalBytes)
{
    public static CaptureContent Empty { get; } = new(null, 0, [], [], 0);

    public long Length => FileLength + Chunks.Sum(c => (long)c.Length) + Tail.Length;
}
