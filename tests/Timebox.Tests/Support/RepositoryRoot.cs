namespace Timebox.Tests.Support;

/// <summary>The checkout the tests were built from: tests/Timebox.Tests/bin/CONFIG/TFM/ is this test's output directory.</summary>
public static class RepositoryRoot
{
    public static string Path =>
        new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(System.IO.Path.DirectorySeparatorChar)).Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
}
