namespace Timebox.Tests.Support;

/// <summary>A fact that needs root (to mount a tiny tmpfs): skipped, saying so, where the tests do not run as root.</summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (Environment.UserName != "root") Skip = "needs root (it mounts a tmpfs); CI runs the tests as root";
    }
}
