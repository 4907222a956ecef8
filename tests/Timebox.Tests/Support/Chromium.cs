namespace Timebox.Tests.Support;

/// <summary>Debian's chromium, run headless (.ci/run installs it when missing: apt-get install chromium).</summary>
public static class Chromium
{
    public static string Path
    {
        get
        {
            foreach (var candidate in new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser" })
                if (File.Exists(candidate)) return candidate;
            throw new FileNotFoundException("Chromium is needed to check the HTML report: apt-get install chromium (.ci/run does it).");
        }
    }

    /// <summary>chromium --headless with a profile of its own under <paramref name="profile"/>, and the given arguments.</summary>
    public static Command Headless(string profile, params string[] args) =>
        new Command(Path, ["--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--hide-scrollbars", $"--user-data-dir={profile}", .. args])
            .WithTimeout(TimeSpan.FromSeconds(90));
}
