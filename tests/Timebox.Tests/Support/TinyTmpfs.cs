using System.Diagnostics;

namespace Timebox.Tests.Support;

/// <summary>A tmpfs of a few KiB mounted on a new temporary directory (root only), to fill a disk for real; unmounted and removed on disposal.</summary>
public sealed class TinyTmpfs : IDisposable
{
    public TinyTmpfs(int kib)
    {
        Directory = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"timebox-tmpfs-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(Directory);
        Run("mount", "-t", "tmpfs", "-o", $"size={kib}k", "tmpfs", Directory);
    }

    public string Directory { get; }

    public string Path(string name) => System.IO.Path.Combine(Directory, name);

    /// <summary>Fills what is left of the file system with one file, which <see cref="Free"/> removes.</summary>
    public void Fill()
    {
        using var filler = new FileStream(Path(".filler"), FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0);
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

    public void Free() => File.Delete(Path(".filler"));

    public void Dispose()
    {
        Run("umount", Directory);
        System.IO.Directory.Delete(Directory);
    }

    private static void Run(string program, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(program, arguments) { RedirectStandardError = true })!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{program} failed: {error}");
    }
}
