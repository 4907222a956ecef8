using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;
using System.Text;

namespace Timebox.Cli;

/// <summary>
/// Where `timebox batch` runs. The native timebox binary leaves the batch code out (its publish sets the switch to
/// false, so the compiler drops it: see Timebox.Cli.csproj) and execs timebox-batch from its own directory instead,
/// with the same arguments. Everywhere else (timebox-batch itself, the JIT build, the .NET tool) it runs in process.
/// The distributed mode (`timebox worker`, `timebox batch --storage`) always runs in its own binary, see <see cref="DistributedHost"/>.
/// </summary>
internal static unsafe partial class BatchHost
{
    public const string BinaryName = "timebox-batch";
    private const string Switch = "Timebox.Cli.BatchInProcess";

    [FeatureSwitchDefinition(Switch)]
    public static bool InProcess => !AppContext.TryGetSwitch(Switch, out var inProcess) || inProcess;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int execv(byte* path, byte** argv);

    /// <summary>Replaces this process with timebox-batch (see <see cref="ExecSibling"/>).</summary>
    public static int Exec() => ExecSibling(BinaryName, "batch");

    /// <summary>
    /// Replaces this process with the binary at <paramref name="relativePath"/> from this binary's directory, passing the
    /// arguments exactly as they came (read from /proc/self/cmdline, so bytes that are not UTF-8 survive). Returns only
    /// when that fails, with status 125, having said so as "<paramref name="mode"/>: cannot run PATH: REASON".
    /// </summary>
    public static int ExecSibling(string relativePath, string mode)
    {
        var directory = Path.GetDirectoryName(Environment.ProcessPath) ?? ".";
        var path = Path.Combine(directory, relativePath);
        var arguments = Split(File.ReadAllBytes("/proc/self/cmdline").AsSpan().TrimEnd((byte)0).ToArray());
        arguments[0] = Encoding.UTF8.GetBytes(path);
        var handles = new List<GCHandle>();
        try
        {
            var argv = new byte*[arguments.Count + 1];
            for (var i = 0; i < arguments.Count; i++)
            {
                var terminated = new byte[arguments[i].Length + 1];
                arguments[i].CopyTo(terminated, 0);
                var handle = GCHandle.Alloc(terminated, GCHandleType.Pinned);
                handles.Add(handle);
                argv[i] = (byte*)handle.AddrOfPinnedObject();
            }
            fixed (byte** first = argv) execv(argv[0], first);
        }
        finally
        {
            foreach (var handle in handles) handle.Free();
        }
        Messages.Error($"{mode}: cannot run {Quoting.Quote(path)}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        return Cli.FailedStatus;
    }

    private static List<byte[]> Split(byte[] bytes)
    {
        const byte separator = 0;
        var parts = new List<byte[]>();
        var start = 0;
        for (var i = 0; i <= bytes.Length; i++)
        {
            if (i < bytes.Length && bytes[i] != separator) continue;
            parts.Add(bytes[start..i]);
            start = i + 1;
        }
        return parts;
    }
}
