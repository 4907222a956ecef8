namespace Timebox.Platform.Windows;

/// <summary>
/// Finds the file a command names before anything starts, so each failure gets its own exception: a name is searched in
/// the directories of PATH (the child's, as on Unix; not the current directory, which CreateProcess would also search),
/// and a name without an extension is tried with each extension of PATHEXT (.COM;.EXE;.BAT;.CMD by default).
/// </summary>
internal static class ProgramSearch
{
    private const string DefaultPathExt = ".COM;.EXE;.BAT;.CMD";

    public static string Resolve(Command command, string? pathVariable, string? pathExtVariable, string workingDirectory)
    {
        var program = command.Program;
        var extensions = (pathExtVariable ?? DefaultPathExt).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (program.AsSpan().IndexOfAny(@"\/:") >= 0)
        {
            var path = Path.GetFullPath(program, workingDirectory);
            if (Find(path, extensions) is { } file) return file;
            if (Directory.Exists(path)) throw new ProgramNotExecutableException(command, path, "it is a directory");
            throw new ProgramNotFoundException(command, program, []);
        }

        var searchPath = (pathVariable ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(directory => directory.Trim('"'))
            .Where(directory => directory.Length > 0)
            .ToArray();
        foreach (var directory in searchPath)
        {
            if (Find(Path.Combine(Path.GetFullPath(directory, workingDirectory), program), extensions) is { } file)
                return file;
        }
        throw new ProgramNotFoundException(command, program, searchPath);
    }

    private static string? Find(string path, string[] extensions)
    {
        if (Path.HasExtension(path) && File.Exists(path)) return path;
        foreach (var extension in extensions)
        {
            var candidate = path + extension;
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }
}
