namespace Timebox.Tests.Support;

/// <summary>A test that needs root (to take another user's identity, say): skipped, and saying why, where it runs as another user.</summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (Environment.UserName != "root") Skip = "needs root";
    }
}
