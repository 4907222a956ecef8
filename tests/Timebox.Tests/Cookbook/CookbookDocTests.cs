using Timebox.Tests.Support;

namespace Timebox.Tests.Cookbook;

/// <summary>docs/cookbook.md shows only code the tests run: each C# block is a region of Recipes.cs, word for word, and each shell block is run by <see cref="ShellRecipeTests"/>.</summary>
public sealed class CookbookDocTests
{
    [Fact]
    public void Every_recipe_appears_in_the_cookbook_word_for_word_under_its_name()
    {
        var blocks = CookbookSnippets.DocBlocks();
        var regions = CookbookSnippets.Regions();

        Assert.NotEmpty(regions);
        foreach (var (name, code) in regions)
        {
            var block = blocks.SingleOrDefault(b => b.Name == name);
            Assert.True(block is not null, $"{CookbookSnippets.DocPath} has no block marked '<!-- snippet: {name} -->'.");
            Assert.Equal("csharp", block.Language);
            Assert.Equal(code, block.Code);
        }
    }

    [Fact]
    public void Every_code_block_of_the_cookbook_is_a_tested_snippet()
    {
        var regions = CookbookSnippets.Regions();
        foreach (var block in CookbookSnippets.DocBlocks())
        {
            Assert.True(block.Name is not null, $"A ```{block.Language} block of {CookbookSnippets.DocPath} has no snippet marker:\n{block.Code}");
            var tested = block.Language switch
            {
                "csharp" => regions.ContainsKey(block.Name),
                "sh" => ShellRecipeTests.Names.Contains(block.Name),
                _ => false,
            };
            Assert.True(tested, $"The ```{block.Language} block '{block.Name}' is not run by any test.");
        }
        Assert.Equal(ShellRecipeTests.Names.Order(), CookbookSnippets.DocBlocks().Where(b => b.Language == "sh").Select(b => b.Name!).Order());
    }

    [Fact]
    public void The_readme_links_the_cookbook()
    {
        Assert.Contains("(docs/cookbook.md)", File.ReadAllText(RepositoryFiles.PathOf("README.md")), StringComparison.Ordinal);
    }
}
