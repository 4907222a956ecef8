namespace Timebox.Tests.Support;

/// <summary>Files of the checkout the tests were built from (docs, samples), and the outputs of its other projects.</summary>
public static class RepositoryFiles
{
    /// <summary>The checkout's root: the tests run from tests/Timebox.Tests/bin/CONFIG/TFM/.</summary>
    public static string Root { get; } = OutputDirectory.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;

    /// <summary>The full path of <paramref name="relativePath"/> (with '/' separators) in the checkout.</summary>
    public static string PathOf(string relativePath) => Path.Combine(Root, relativePath);

    /// <summary>
    /// The apphost of a project elsewhere in the checkout, built in the same configuration as the tests
    /// (<paramref name="projectDirectory"/>/bin/CONFIG/TFM/NAME).
    /// </summary>
    public static string BuiltProgram(string projectDirectory)
    {
        var name = Path.GetFileName(projectDirectory);
        var path = Path.Combine(Root, projectDirectory, "bin", OutputDirectory.Parent!.Name, OutputDirectory.Name, name);
        return File.Exists(path) ? path : throw new FileNotFoundException($"'{name}' is not built at '{path}': build the solution.", path);
    }

    private static DirectoryInfo OutputDirectory => new(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
}
