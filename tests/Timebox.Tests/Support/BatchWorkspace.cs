using System.Text;
using System.Text.Json;

namespace Timebox.Tests.Support;

/// <summary>A temporary directory holding a batch's job file, results file and reports, deleted on disposal.</summary>
public sealed class BatchWorkspace : IDisposable
{
    public BatchWorkspace()
    {
        Directory = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"timebox-batch-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(Directory);
    }

    public string Directory { get; }

    public string Jobs => Path("jobs.jsonl");

    public string Results => Path("jobs.results.jsonl");

    public string Path(string name) => System.IO.Path.Combine(Directory, name);

    /// <summary>One job line: the properties given, serialized as JSON (strings, numbers, string arrays, objects).</summary>
    public static string Job(params (string Name, object Value)[] fields) =>
        JsonSerializer.Serialize(fields.ToDictionary(field => field.Name, field => field.Value));

    public void WriteJobs(IEnumerable<string> lines) => File.WriteAllText(Jobs, string.Join('\n', lines) + "\n", new UTF8Encoding(false));

    /// <summary>The complete lines of the results file, parsed.</summary>
    public List<JsonElement> ReadResults()
    {
        if (!File.Exists(Results)) return [];
        var text = File.ReadAllText(Results);
        var complete = text[..(text.LastIndexOf('\n') + 1)];
        return complete.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement.Clone()).ToList();
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }
}
