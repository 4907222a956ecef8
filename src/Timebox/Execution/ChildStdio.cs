namespace Timebox.Execution;

/// <summary>
/// The child's three standard streams, decided alike on every platform: the host's own (inherit), the null device, a
/// file, or a pipe whose other end the host keeps; stderr merged into stdout takes stdout's. Files are opened here,
/// before anything runs, so each unusable redirection fails with its own exception. A platform supplies only the
/// handles (<typeparamref name="THandle"/>: a descriptor on Unix, a HANDLE on Windows) and keeps its pipes' host ends.
/// </summary>
internal abstract class ChildStdio<THandle>
{
    /// <summary>What the child gets as its standard input.</summary>
    public THandle ChildStdin { get; private set; } = default!;

    /// <summary>What the child gets as its standard output.</summary>
    public THandle ChildStdout { get; private set; } = default!;

    /// <summary>What the child gets as its standard error.</summary>
    public THandle ChildStderr { get; private set; } = default!;

    /// <summary>Closes whatever was not handed on: the child's ends in the host, and the host's ends no run took.</summary>
    public abstract void Dispose();

    /// <summary>Decides and opens the three streams; the platform's constructor calls it once. Nothing is left open if it throws.</summary>
    /// <exception cref="StdinSourceException">The stdin file cannot be opened.</exception>
    /// <exception cref="OutputTargetException">An output file cannot be opened.</exception>
    protected void Open(Command command)
    {
        try
        {
            var stdin = command.Stdin;
            ChildStdin = stdin.Kind switch
            {
                StdinSource.SourceKind.Inherit => Inherit(StandardStream.Input),
                StdinSource.SourceKind.Empty => OpenNull(StandardStream.Input),
                StdinSource.SourceKind.File => OpenStdinFile(command, stdin.FilePath!),
                _ => Pipe(StandardStream.Input, capturedOnly: false),
            };
            ChildStdout = Output(command, command.Stdout, StandardStream.Output);
            ChildStderr = command.StderrMerged ? MergedStderr(ChildStdout) : Output(command, command.Stderr, StandardStream.Error);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The host's own <paramref name="stream"/>, for the child to share.</summary>
    protected abstract THandle Inherit(StandardStream stream);

    /// <summary>The null device, open for reading (input) or writing (output and error).</summary>
    protected abstract THandle OpenNull(StandardStream stream);

    /// <summary>
    /// <paramref name="path"/> opened for the child: <see cref="FileMode.Open"/> to read an existing file,
    /// <see cref="FileMode.Create"/> to write it from the start, <see cref="FileMode.Append"/> to write every byte at its end.
    /// </summary>
    /// <exception cref="IOException">It cannot be opened (the system's words).</exception>
    protected abstract THandle OpenFile(string path, FileMode mode);

    /// <summary>
    /// A new pipe: returns the child's end and keeps the host's. <paramref name="capturedOnly"/>: the host only captures
    /// what comes through it (nothing streams it to the caller while the run goes on).
    /// </summary>
    protected abstract THandle Pipe(StandardStream stream, bool capturedOnly);

    /// <summary>What the child's stderr is when it is merged into <paramref name="stdout"/>: by default the same.</summary>
    protected virtual THandle MergedStderr(THandle stdout) => stdout;

    private THandle Output(Command command, OutputTarget target, StandardStream stream) => target.Kind switch
    {
        OutputTarget.TargetKind.Inherit => Inherit(stream),
        OutputTarget.TargetKind.Discard => OpenNull(stream),
        OutputTarget.TargetKind.File => OpenOutputFile(command, target),
        _ => Pipe(stream, capturedOnly: target.Kind == OutputTarget.TargetKind.Capture),
    };

    private THandle OpenStdinFile(Command command, string path)
    {
        try
        {
            return OpenFile(path, FileMode.Open);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new StdinSourceException(command, path, exception);
        }
    }

    private THandle OpenOutputFile(Command command, OutputTarget target)
    {
        try
        {
            return OpenFile(target.FilePath!, target.Append ? FileMode.Append : FileMode.Create);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new OutputTargetException(command, target.FilePath!, exception);
        }
    }
}
