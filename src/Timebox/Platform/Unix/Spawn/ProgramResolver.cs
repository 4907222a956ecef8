using System.Runtime.InteropServices;

namespace Timebox.Platform.Unix;

/// <summary>
/// Finds the file a command names, the way execvp would: a name with a slash is a path, any other is searched for in
/// PATH before anything is spawned, so that a failed search reports the directories it looked in. A path is not
/// checked here: exec checks it anyway, and the spawn tells its refusals apart (not found, a directory, not
/// executable), which spares every start an lstat and an access. Names are in <see cref="FileSystemText"/>'s form and
/// are tested by their bytes, so a name that is not UTF-8 is found as exec would find it.
/// </summary>
internal static unsafe class ProgramResolver
{
    // workingDirectory: where relative names are looked up; null for the host's current directory, which is then read
    // only if a relative name needs it (getcwd is a system call every run would otherwise pay).
    public static string Resolve(Command command, string? pathVariable, string? workingDirectory)
    {
        var program = command.ExecProgram;
        if (program.Contains('/', StringComparison.Ordinal))
            return Path.IsPathRooted(program) ? Path.GetFullPath(program) : Path.GetFullPath(program, workingDirectory ?? HostDirectory());

        var searchPath = (pathVariable ?? "/usr/local/bin:/usr/bin:/bin").Split(':');
        string? deniedCandidate = null;
        foreach (var directory in searchPath)
        {
            var candidate = Candidate(directory);
            // One access for a name that is not there, as in most of PATH; one more for a found one, which must not be a directory.
            if (Access(candidate, Libc.X_OK))
            {
                if (!IsDirectory(candidate)) return candidate;
            }
            else if (Libc.Errno is not (Libc.ENOENT or Libc.ENOTDIR) && IsFile(candidate))
            {
                deniedCandidate ??= candidate;
            }
        }
        // execvp also remembers a directory of that name as EACCES; looked for only now, off the path a found program takes.
        deniedCandidate ??= searchPath.Select(Candidate).FirstOrDefault(IsDirectory);
        if (deniedCandidate is not null) throw new ProgramNotExecutableException(command, deniedCandidate, "permission denied");
        throw new ProgramNotFoundException(command, command.Program, searchPath);

        // An empty PATH entry means the current directory, as in execvp.
        string Candidate(string directory) =>
            Path.Combine(directory.Length == 0 ? workingDirectory ?? HostDirectory()
                : Path.IsPathRooted(directory) ? Path.GetFullPath(directory) : Path.GetFullPath(directory, workingDirectory ?? HostDirectory()), program);
    }

    /// <summary>Whether <paramref name="path"/> names a directory (through symbolic links): only then does "path/." exist.</summary>
    public static bool IsDirectory(string path) => Access(path + "/.", Libc.F_OK);

    // What File.Exists answers (anything but a directory), for names that are not UTF-8 too.
    public static bool IsFile(string path) => Access(path, Libc.F_OK) && !IsDirectory(path);

    // Environment.CurrentDirectory would replace the bytes of a directory name that is not UTF-8.
    private static string HostDirectory()
    {
        Span<byte> buffer = stackalloc byte[4096];
        fixed (byte* p = buffer)
            return Libc.getcwd(p, (nuint)buffer.Length) is null ? Environment.CurrentDirectory : FileSystemText.Decode(MemoryMarshal.CreateReadOnlySpanFromNullTerminated(p));
    }

    private static bool Access(string path, int mode)
    {
        Span<byte> buffer = stackalloc byte[FileSystemText.GetByteCount(path) + 1];
        var length = FileSystemText.GetBytes(path, buffer);
        buffer[length] = 0;
        fixed (byte* p = buffer) return Libc.access(p, mode) == 0;
    }
}
