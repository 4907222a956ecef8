using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;
using Timebox.Output;

namespace Timebox.Platform.Windows;

/// <summary>Spill files on Windows: named, opened delete-on-close, so the system removes the file when its handle closes.</summary>
[SupportedOSPlatform("windows")]
internal sealed class WindowsSpillFiles : SpillFiles
{
    public static WindowsSpillFiles Instance { get; } = new();

    private WindowsSpillFiles()
    {
    }

    public override SafeFileHandle Create(string directory) => CreateNamed(directory, FileOptions.DeleteOnClose, out _);

    public override void Write(SafeFileHandle file, ReadOnlySpan<byte> bytes, long offset) => RandomAccess.Write(file, bytes, offset);
}
