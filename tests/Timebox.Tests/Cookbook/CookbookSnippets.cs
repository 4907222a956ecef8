using System.Text.RegularExpressions;
using Timebox.Tests.Support;

namespace Timebox.Tests.Cookbook;

/// <summary>One fenced code block of docs/cookbook.md: its language, the name its marker gives it (null without one), its text.</summary>
public sealed record DocBlock(string Language, string? Name, string Code);

/// <summary>
/// Reads the snippets on both sides: the named regions of Recipes.cs and the fenced blocks of docs/cookbook.md, each of which
/// is named by an HTML comment on the line before it (<c>&lt;!-- snippet: NAME --&gt;</c>, invisible once rendered).
/// </summary>
public static partial class CookbookSnippets
{
    public const string DocPath = "docs/cookbook.md";
    public const string RecipesPath = "tests/Timebox.Tests/Cookbook/Recipes.cs";

    /// <summary>Each <c>#region NAME</c> of Recipes.cs: the lines inside it, with the region's own indentation removed.</summary>
    public static IReadOnlyDictionary<string, string> Regions()
    {
        var regions = new Dictionary<string, string>();
        var lines = File.ReadAllLines(RepositoryFiles.PathOf(RecipesPath));
        for (var i = 0; i < lines.Length; i++)
        {
            var start = RegionStart().Match(lines[i]);
            if (!start.Success) continue;
            var indent = start.Groups["indent"].Value;
            var body = new List<string>();
            for (i++; lines[i].Trim() != "#endregion"; i++)
            {
                Assert.True(lines[i].Length == 0 || lines[i].StartsWith(indent, StringComparison.Ordinal), $"Line {i + 1} of {RecipesPath} is indented less than its region.");
                body.Add(lines[i].Length == 0 ? "" : lines[i][indent.Length..]);
            }
            regions.Add(start.Groups["name"].Value, string.Join('\n', body));
        }
        return regions;
    }

    /// <summary>Every fenced code block of the cookbook, in order.</summary>
    public static IReadOnlyList<DocBlock> DocBlocks()
    {
        var blocks = new List<DocBlock>();
        var lines = File.ReadAllLines(RepositoryFiles.PathOf(DocPath));
        for (var i = 0; i < lines.Length; i++)
        {
            if (!lines[i].StartsWith("```", StringComparison.Ordinal)) continue;
            var marker = i > 0 ? SnippetMarker().Match(lines[i - 1]) : Match.Empty;
            var language = lines[i][3..].Trim();
            var body = new List<string>();
            for (i++; lines[i] != "```"; i++) body.Add(lines[i]);
            blocks.Add(new DocBlock(language, marker.Success ? marker.Groups["name"].Value : null, string.Join('\n', body)));
        }
        return blocks;
    }

    /// <summary>The code of the cookbook's block named <paramref name="name"/>.</summary>
    public static string Block(string name) => DocBlocks().Single(block => block.Name == name).Code;

    [GeneratedRegex(@"^(?<indent>\s*)#region (?<name>\S+)$")]
    private static partial Regex RegionStart();

    [GeneratedRegex(@"^<!-- snippet: (?<name>\S+) -->$")]
    private static partial Regex SnippetMarker();
}
