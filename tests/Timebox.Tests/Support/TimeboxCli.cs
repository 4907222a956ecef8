namespace Timebox.Tests.Support;

/// <summary>Where the CLI under test is: the native binary published next to the tests (see the test project), or $TIMEBOX_CLI.</summary>
public static class TimeboxCli
{
    public const string GnuTimeout = "/usr/bin/timeout";

    public static string Path
    {
        get
        {
            var path = Environment.GetEnvironmentVariable("TIMEBOX_CLI") ?? System.IO.Path.Combine(AppContext.BaseDirectory, "timebox-cli", "timebox");
            return File.Exists(path) ? path : throw new FileNotFoundException($"The timebox binary is not at '{path}': build the test project, which publishes it.", path);
        }
    }
}
