using System.Runtime.InteropServices;

namespace Timebox.Tests.Support;

/// <summary>
/// A tmpfs of its own (root only) to inject real file system faults: a tiny one fills up (ENOSPC), a read-only one
/// refuses every new file (EROFS). <see cref="TryUnmount"/> fails with EBUSY while anything still holds a file open in it,
/// which is how a test proves that nothing was left open.
/// </summary>
public sealed class TmpfsMount : IDisposable
{
    private const ulong MS_RDONLY = 1, MS_REMOUNT = 32;
    private bool _mounted;

    public TmpfsMount(string size, bool readOnly = false)
    {
        Path = Directory.CreateTempSubdirectory("timebox-tmpfs-").FullName;
        if (mount("tmpfs", Path, "tmpfs", readOnly ? MS_RDONLY : 0, $"size={size}") != 0)
            throw new IOException($"mount tmpfs on {Path} failed: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        _mounted = true;
    }

    public string Path { get; }

    /// <summary>The path of <paramref name="name"/> inside the file system.</summary>
    public string FileIn(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Fills what is left of the file system with one file, which <see cref="Free"/> removes.</summary>
    public void Fill()
    {
        using var filler = new FileStream(FileIn(".filler"), FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0);
        var block = new byte[4096];
        try
        {
            while (true) filler.Write(block);
        }
        catch (IOException)
        {
            // Full: what the test wants.
        }
    }

    public void Free() => File.Delete(FileIn(".filler"));

    /// <summary>Makes the file system read-only from now on (fails while a file in it is open for writing).</summary>
    public void RemountReadOnly()
    {
        if (mount("tmpfs", Path, "tmpfs", MS_REMOUNT | MS_RDONLY, null) != 0)
            throw new IOException($"remount {Path} read-only failed: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
    }

    /// <summary>How many of this process's descriptors point into the file system (an unnamed spill file included).</summary>
    public int OpenDescriptors() =>
        new DirectoryInfo("/proc/self/fd").EnumerateFileSystemInfos()
            .Count(fd => fd.LinkTarget is { } target && target.StartsWith(Path + "/", StringComparison.Ordinal));

    /// <summary>Unmounts; returns the system's reason when it cannot (a file still open: "Device or resource busy"), null once done.</summary>
    public string? TryUnmount()
    {
        if (!_mounted) return null;
        if (umount2(Path, 0) != 0) return Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError());
        _mounted = false;
        return null;
    }

    public void Dispose()
    {
        // Lazily when still busy, so that one failed test does not leave a mount behind for the next.
        if (_mounted && umount2(Path, 0) != 0) umount2(Path, MNT_DETACH);
        _mounted = false;
        Directory.Delete(Path);
    }

    private const int MNT_DETACH = 2;

#pragma warning disable SYSLIB1054 // LibraryImport needs AllowUnsafeBlocks, which the test project does not set.
    [DllImport("libc", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int mount(string source, string target, string type, ulong flags, string? data);

    [DllImport("libc", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int umount2(string target, int flags);
#pragma warning restore SYSLIB1054
}
