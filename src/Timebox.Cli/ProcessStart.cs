using System.Runtime.InteropServices;
using System.Text;
using Timebox.Platform.Unix;

namespace Timebox.Cli;

/// <summary>
/// What this process was started with that .NET does not show as it was: its arguments as bytes (the runtime decodes
/// them, replacing bytes that are not UTF-8), and the descriptors it inherited. The native binary records
/// both before the runtime starts (Native/process_start.c). Under the JIT (`dotnet run`, the .NET tool) they are
/// read from /proc/self instead: the arguments from cmdline, the descriptors as those open without close-on-exec, which
/// only inherited ones are (the runtime opens its own close-on-exec).
/// </summary>
internal static unsafe partial class ProcessStart
{
    [LibraryImport("timebox_start", EntryPoint = "timebox_start_arguments")]
    private static partial int RecordedArguments(byte*** argv);

    [LibraryImport("timebox_start", EntryPoint = "timebox_inherited_descriptors")]
    private static partial int RecordedDescriptors(int** fds);

    /// <summary>
    /// The bytes of the last <paramref name="decoded"/>.Count arguments, which the runtime decoded as <paramref name="decoded"/>;
    /// their UTF-8 if the bytes cannot be read (no /proc) or do not match.
    /// </summary>
    public static byte[][] LastArguments(IReadOnlyList<string> decoded)
    {
        var all = NativeHost.IsLinked ? Recorded() : FromCmdline();
        var tail = all.Length >= decoded.Count ? all[^decoded.Count..] : [];
        for (var i = 0; i < tail.Length; i++)
            if (!SameText(tail[i], decoded[i])) tail = [];
        return tail.Length == decoded.Count ? tail : [.. decoded.Select(Encoding.UTF8.GetBytes)];
    }

    // Decoders differ in how many U+FFFD they put for one invalid sequence (the JIT host's gives more than Encoding.UTF8).
    private static bool SameText(byte[] raw, string decoded) =>
        Encoding.UTF8.GetString(raw).Replace("\uFFFD", "", StringComparison.Ordinal) == decoded.Replace("\uFFFD", "", StringComparison.Ordinal);

    /// <summary>The descriptors from 3 up that this process inherited, ascending.</summary>
    public static int[] InheritedDescriptors()
    {
        if (NativeHost.IsLinked)
        {
            int* fds;
            var count = RecordedDescriptors(&fds);
            return new ReadOnlySpan<int>(fds, count).ToArray();
        }
        var inherited = new List<int>();
        try
        {
            foreach (var entry in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
            {
                // The listing's own descriptor is close-on-exec, and closed by now.
                if (int.TryParse(Path.GetFileName(entry), out var fd) && fd >= 3 && Libc.fcntl(fd, Libc.F_GETFD, 0) is var flags && flags >= 0 && (flags & Libc.FD_CLOEXEC) == 0)
                    inherited.Add(fd);
            }
        }
        catch (IOException)
        {
            // No /proc here, or no descriptor left to read it with: nothing is passed on, as before.
        }
        inherited.Sort();
        return [.. inherited];
    }

    private static byte[][] Recorded()
    {
        byte** argv;
        var argc = RecordedArguments(&argv);
        var arguments = new byte[argc][];
        for (var i = 0; i < argc; i++) arguments[i] = MemoryMarshal.CreateReadOnlySpanFromNullTerminated(argv[i]).ToArray();
        return arguments;
    }

    private static byte[][] FromCmdline()
    {
        try
        {
            var cmdline = File.ReadAllBytes("/proc/self/cmdline").AsSpan();
            // Each argument ends with a NUL.
            var arguments = new List<byte[]>();
            for (int end; (end = cmdline.IndexOf((byte)0)) >= 0; cmdline = cmdline[(end + 1)..]) arguments.Add(cmdline[..end].ToArray());
            return [.. arguments];
        }
        catch (IOException)
        {
            return [];
        }
    }
}
