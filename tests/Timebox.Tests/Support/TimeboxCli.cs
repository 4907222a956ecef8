namespace Timebox.Tests.Support;

/// <summary>Where the CLI under test is: the native binary published next to the tests (see the test project), or $TIMEBOX_CLI.</summary>
public static class TimeboxCli
{
    public const string GnuTimeout = "/usr/bin/timeout";

    /// <summary>
    /// The JIT build of the CLI (what `dotnet run --project src/Timebox.Cli` and the .NET tool run), built with the
    /// solution: src/Timebox.Cli/bin/CONFIG/TFM/Timebox.Cli.dll, mirrored from this test's own output directory.
    /// </summary>
    public static string JitAssembly
    {
        get
        {
            var tfm = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(System.IO.Path.DirectorySeparatorChar));
            var path = System.IO.Path.Combine(RepositoryFiles.Root, "src", "Timebox.Cli", "bin", tfm.Parent!.Name, tfm.Name, "Timebox.Cli.dll");
            return File.Exists(path) ? path : throw new FileNotFoundException($"The JIT build of the CLI is not at '{path}': build the solution.", path);
        }
    }

    public static string Path
    {
        get
        {
            var path = Environment.GetEnvironmentVariable("TIMEBOX_CLI") ?? System.IO.Path.Combine(AppContext.BaseDirectory, "timebox-cli", "timebox");
            return File.Exists(path) ? path : throw new FileNotFoundException($"The timebox binary is not at '{path}': build the test project, which publishes it.", path);
        }
    }
}
