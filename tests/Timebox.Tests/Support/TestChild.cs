namespace Timebox.Tests.Support;

/// <summary>Locates the built Timebox.TestChild executable (see tests/Timebox.TestChild/Program.cs for its actions).</summary>
public static class TestChild
{
    private static readonly Lazy<string> LazyPath = new(() => Locate("Timebox.TestChild"));

    /// <summary>Full path of the TestChild apphost, built alongside the test project.</summary>
    public static string Path => LazyPath.Value;

    /// <summary>Full path of the apphost of another test program built alongside the test project (for example Timebox.Pid1Host).</summary>
    public static string Sibling(string project) => Locate(project);

    private static string Locate(string project)
    {
        // The test project references TestChild with ReferenceOutputAssembly=false, so the child
        // is built but not copied next to us. Our base directory is
        // tests/Timebox.Tests/bin/<Config>/<tfm>/ and the child lives in the mirrored place
        // tests/Timebox.TestChild/bin/<Config>/<tfm>/.
        var tfmDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(System.IO.Path.DirectorySeparatorChar));
        var configDir = tfmDir.Parent;
        var testsDir = configDir?.Parent?.Parent?.Parent;
        if (configDir is null || testsDir is null)
        {
            throw new InvalidOperationException(
                $"Cannot locate Timebox.TestChild: unexpected test output directory '{AppContext.BaseDirectory}'.");
        }

        var path = System.IO.Path.Combine(
            testsDir.FullName, project, "bin", configDir.Name, tfmDir.Name, project);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"Timebox.TestChild executable not found at '{path}'. Build tests/Timebox.TestChild "
                + $"with the same configuration ('{configDir.Name}') as the tests.",
                path);
        }

        return path;
    }
}
