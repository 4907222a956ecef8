using System.Diagnostics.CodeAnalysis;

namespace Timebox.Cli;

/// <summary>
/// Whether Native/host_signals.c is linked into this binary: true only in the native (NativeAOT) build, whose
/// publish sets the switch (see the project file), so that the compiler drops the managed fallbacks from it; false
/// under the JIT (`dotnet run`, the .NET tool), where the fallbacks run.
/// </summary>
internal static class NativeHost
{
    private const string Switch = "Timebox.Cli.NativeHostLinked";

    [FeatureSwitchDefinition(Switch)]
    public static bool IsLinked => AppContext.TryGetSwitch(Switch, out var linked) && linked;
}
