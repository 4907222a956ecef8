using System.Runtime.InteropServices;

namespace Timebox.Tests.Support;

/// <summary>A fact that needs root (it mounts file systems or changes identity); skipped, saying so, where the tests do not run as root. CI runs as root.</summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (!Root.IsRoot) Skip = Root.SkipReason;
    }
}

/// <summary>A theory that needs root; see <see cref="RootFactAttribute"/>.</summary>
public sealed class RootTheoryAttribute : TheoryAttribute
{
    public RootTheoryAttribute()
    {
        if (!Root.IsRoot) Skip = Root.SkipReason;
    }
}

internal static partial class Root
{
    public const string SkipReason = "Needs root (it mounts a file system or takes another user's identity); CI runs the tests as root.";

    public static bool IsRoot { get; } = OperatingSystem.IsLinux() && geteuid() == 0;

    [DllImport("libc")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
#pragma warning disable SYSLIB1054 // LibraryImport needs AllowUnsafeBlocks, which the test project does not set.
    private static extern uint geteuid();
#pragma warning restore SYSLIB1054
}
