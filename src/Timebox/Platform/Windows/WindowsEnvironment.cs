using System.Collections;
using System.Text;

namespace Timebox.Platform.Windows;

/// <summary>The child's environment block: the host's (or none) with the command's changes, names compared without case as Windows does.</summary>
internal static class WindowsEnvironment
{
    /// <summary>"NAME=value\0…\0\0", sorted by name without case as CreateProcess expects; PATH and PATHEXT as the child will see them.</summary>
    public static string Block(Command command, out string? path, out string? pathExt)
    {
        var variables = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (!command.EnvironmentCleared)
        {
            foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
                variables[(string)entry.Key] = (string?)entry.Value ?? "";
        }
        foreach (var (name, value) in command.EnvironmentChanges)
        {
            // Removed first so that the name keeps the spelling the command gave it.
            variables.Remove(name);
            if (value is not null) variables[name] = value;
        }
        path = variables.GetValueOrDefault("PATH") ?? Environment.GetEnvironmentVariable("PATH");
        pathExt = variables.GetValueOrDefault("PATHEXT") ?? Environment.GetEnvironmentVariable("PATHEXT");

        var block = new StringBuilder();
        foreach (var (name, value) in variables.OrderBy(pair => pair.Key, StringComparer.OrdinalIgnoreCase))
            block.Append(name).Append('=').Append(value).Append('\0');
        if (block.Length == 0) block.Append('\0');
        return block.Append('\0').ToString();
    }
}
