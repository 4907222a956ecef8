using System.Buffers.Binary;
using System.IO.Compression;

namespace Timebox.Tests.Support;

/// <summary>Just enough of a PNG decoder to look at a browser's screenshot: 8-bit RGB or RGBA, not interlaced.</summary>
public sealed class Png
{
    private readonly byte[] _pixels;
    private readonly int _channels;

    private Png(int width, int height, int channels, byte[] pixels)
    {
        Width = width;
        Height = height;
        _channels = channels;
        _pixels = pixels;
    }

    public int Width { get; }

    public int Height { get; }

    public (byte R, byte G, byte B) this[int x, int y]
    {
        get
        {
            var offset = ((y * Width) + x) * _channels;
            return (_pixels[offset], _pixels[offset + 1], _pixels[offset + 2]);
        }
    }

    public static Png Read(string path)
    {
        var data = File.ReadAllBytes(path);
        if (!data.AsSpan(0, 8).SequenceEqual(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }))
            throw new InvalidDataException("not a PNG file");
        int width = 0, height = 0, channels = 0;
        using var compressed = new MemoryStream();
        for (var offset = 8; offset < data.Length;)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(data.AsSpan(offset));
            var type = System.Text.Encoding.ASCII.GetString(data, offset + 4, 4);
            var body = data.AsSpan(offset + 8, length);
            if (type == "IHDR")
            {
                width = BinaryPrimitives.ReadInt32BigEndian(body);
                height = BinaryPrimitives.ReadInt32BigEndian(body[4..]);
                if (body[8] != 8 || body[12] != 0) throw new InvalidDataException("only 8-bit, non-interlaced images are supported");
                channels = body[9] switch { 2 => 3, 6 => 4, _ => throw new InvalidDataException($"color type {body[9]} is not supported") };
            }
            else if (type == "IDAT")
            {
                compressed.Write(body);
            }
            offset += 12 + length;
        }
        compressed.Position = 0;
        using var inflated = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionMode.Decompress)) zlib.CopyTo(inflated);
        var raw = inflated.ToArray();

        var stride = width * channels;
        var pixels = new byte[stride * height];
        for (var y = 0; y < height; y++)
        {
            var filter = raw[y * (stride + 1)];
            var line = raw.AsSpan((y * (stride + 1)) + 1, stride);
            for (var i = 0; i < stride; i++)
            {
                int a = i >= channels ? pixels[(y * stride) + i - channels] : 0;
                int b = y > 0 ? pixels[((y - 1) * stride) + i] : 0;
                int c = i >= channels && y > 0 ? pixels[((y - 1) * stride) + i - channels] : 0;
                var predicted = filter switch
                {
                    0 => 0,
                    1 => a,
                    2 => b,
                    3 => (a + b) / 2,
                    4 => Paeth(a, b, c),
                    _ => throw new InvalidDataException($"filter {filter}"),
                };
                pixels[(y * stride) + i] = (byte)(line[i] + predicted);
            }
        }
        return new Png(width, height, channels, pixels);
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    /// <summary>How many pixels are exactly this color.</summary>
    public int Count((byte R, byte G, byte B) color)
    {
        var count = 0;
        for (var y = 0; y < Height; y++)
            for (var x = 0; x < Width; x++)
                if (this[x, y] == color) count++;
        return count;
    }
}
