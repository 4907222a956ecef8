using System.Runtime.InteropServices;

namespace Timebox.Platform.Unix;

/// <summary>
/// NUL-terminated strings (UTF-8, with the bytes a <see cref="FileSystemText"/> string carries) and pointer arrays (argv, envp) laid out in one native block, freed at once.
/// One allocation per spawn keeps the spawn path cheap.
/// </summary>
internal sealed unsafe class NativeStrings : IDisposable
{
    private readonly byte* _block;

    private NativeStrings(byte* block) => _block = block;

    /// <summary>Builds one block holding every string and, for each list, a null-terminated pointer array.</summary>
    public static NativeStrings Build(IReadOnlyList<string> strings, out byte*[] pointers)
    {
        var bytes = 0;
        foreach (var s in strings) bytes += FileSystemText.GetByteCount(s) + 1;
        var block = (byte*)NativeMemory.Alloc((nuint)Math.Max(bytes, 1));
        pointers = new byte*[strings.Count];
        var cursor = block;
        for (var i = 0; i < strings.Count; i++)
        {
            pointers[i] = cursor;
            var written = FileSystemText.GetBytes(strings[i], new Span<byte>(cursor, bytes - (int)(cursor - block)));
            cursor[written] = 0;
            cursor += written + 1;
        }
        return new NativeStrings(block);
    }

    public void Dispose() => NativeMemory.Free(_block);
}
