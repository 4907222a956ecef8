namespace Timebox.Tests.Support;

/// <summary>
/// Two symbolic links where a tool will write a file: one to a victim file that must stay untouched, and a dangling one
/// whose target must not be created. A tool that writes safely replaces both links with files of its own.
/// </summary>
public sealed class LinkTrap
{
    private const string Precious = "precious\n";

    public LinkTrap(BatchWorkspace work, string extension)
    {
        Victim = work.Path("victim");
        File.WriteAllText(Victim, Precious);
        Link = work.Path($"link.{extension}");
        File.CreateSymbolicLink(Link, Victim);
        DanglingTarget = work.Path("created-through-the-link");
        Dangling = work.Path($"dangling.{extension}");
        File.CreateSymbolicLink(Dangling, DanglingTarget);
    }

    public string Victim { get; }

    public string Link { get; }

    public string Dangling { get; }

    public string DanglingTarget { get; }

    /// <summary>The victim's content, while the link to it is still in place.</summary>
    public static string VictimContent => Precious;

    /// <summary>Both links are now files, and neither target was written.</summary>
    public void AssertLinksReplacedAndTargetsUntouched()
    {
        Assert.Equal(Precious, File.ReadAllText(Victim));
        Assert.False(File.Exists(DanglingTarget));
        Assert.Null(new FileInfo(Link).LinkTarget);
        Assert.Null(new FileInfo(Dangling).LinkTarget);
    }
}
