using System.Buffers;
using System.Text.Unicode;
using System.Text;

namespace Timebox.Platform.Unix;

/// <summary>
/// POSIX names and arguments are bytes, usually but not always UTF-8. A byte command (<see cref="Command.FromBytes"/>)
/// keeps its bytes inside .NET strings the way Python's surrogateescape does (PEP 383): valid UTF-8 decodes as usual,
/// and each byte of an invalid sequence becomes the lone surrogate U+DC80–U+DCFF, which no valid UTF-8 can produce.
/// Encoding turns those surrogates back into their bytes, so the bytes reach exec unchanged, and everything between
/// (the PATH search, path joining) works on ordinary strings.
/// </summary>
internal static class FileSystemText
{
    private const char FirstEscape = '\uDC80', LastEscape = '\uDCFF';

    public static string Decode(ReadOnlySpan<byte> bytes)
    {
        if (Utf8.IsValid(bytes)) return Encoding.UTF8.GetString(bytes);
        var text = new StringBuilder(bytes.Length);
        while (!bytes.IsEmpty)
        {
            if (Rune.DecodeFromUtf8(bytes, out var rune, out var consumed) == OperationStatus.Done) text.Append(rune.ToString());
            else foreach (var invalid in bytes[..consumed]) text.Append((char)(0xDC00 + invalid));
            bytes = bytes[consumed..];
        }
        return text.ToString();
    }

    public static int GetByteCount(string text) => HasSurrogates(text) ? Encode(text, []) : Encoding.UTF8.GetByteCount(text);

    /// <summary>Writes the bytes of <paramref name="text"/> to <paramref name="destination"/>, which holds at least <see cref="GetByteCount"/> bytes.</summary>
    public static int GetBytes(string text, Span<byte> destination) =>
        HasSurrogates(text) ? Encode(text, destination) : Encoding.UTF8.GetBytes(text, destination);

    public static byte[] GetBytes(string text)
    {
        var bytes = new byte[GetByteCount(text)];
        GetBytes(text, bytes);
        return bytes;
    }

    private static bool HasSurrogates(string text) => text.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF') >= 0;

    // With an empty destination, only counts.
    private static int Encode(ReadOnlySpan<char> text, Span<byte> destination)
    {
        var count = 0;
        Span<byte> buffer = stackalloc byte[4];
        while (!text.IsEmpty)
        {
            int length;
            if (Rune.DecodeFromUtf16(text, out var rune, out var consumed) == OperationStatus.Done)
            {
                length = rune.EncodeToUtf8(buffer);
            }
            else if (text[0] is >= FirstEscape and <= LastEscape)
            {
                buffer[0] = (byte)(text[0] - 0xDC00);
                length = 1;
            }
            else
            {
                // Any other lone surrogate has no bytes of its own: U+FFFD, as Encoding.UTF8 writes it.
                length = Rune.ReplacementChar.EncodeToUtf8(buffer);
            }
            if (!destination.IsEmpty) buffer[..length].CopyTo(destination[count..]);
            count += length;
            text = text[consumed..];
        }
        return count;
    }
}
