namespace Timebox.Output;

/// <summary>
/// Where one output stream read by the host goes beyond its capture and the caller's pipe: the sinks of its target
/// (streams, pipe writers, line and chunk callbacks, a tee's files and terminal), opened before the start.
/// </summary>
internal static class OutputRoute
{
    /// <summary>Opens what the target needs beyond the pipe (files of a tee), so an unusable path fails before anything runs.</summary>
    public static IReadOnlyList<IOutputSink> OpenSinks(Command command, OutputTarget target, OutputSource source)
    {
        List<IOutputSink> sinks = [];
        try
        {
            foreach (var part in target.Parts)
            {
                IOutputSink? sink = part.Kind switch
                {
                    OutputTarget.TargetKind.Stream => new StreamSink(part.Stream!, ownsStream: false),
                    OutputTarget.TargetKind.PipeWriter => new PipeWriterSink(part.Writer!),
                    OutputTarget.TargetKind.Lines => new LineSink(part.LineHandler!, command.Encoding),
                    OutputTarget.TargetKind.Chunks => new ChunkSink(part.ChunkHandler!),
                    OutputTarget.TargetKind.File when target.Kind == OutputTarget.TargetKind.Tee => new StreamSink(OpenFile(command, part), ownsStream: true),
                    OutputTarget.TargetKind.Inherit when target.Kind == OutputTarget.TargetKind.Tee =>
                        new StreamSink(source == OutputSource.Stdout ? Console.OpenStandardOutput() : Console.OpenStandardError(), ownsStream: true),
                    _ => null,
                };
                if (sink is not null) sinks.Add(sink);
            }
            return sinks;
        }
        catch
        {
            Abandon(sinks);
            throw;
        }
    }

    /// <summary>Lets go of sinks that a start opened but never handed to a run, because the start failed: closes a tee's files.</summary>
    public static void Abandon(IEnumerable<IOutputSink> sinks)
    {
        foreach (var sink in sinks) sink.Release();
    }

    private static FileStream OpenFile(Command command, OutputTarget file)
    {
        try
        {
            return new FileStream(file.FilePath!, file.Append ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, 1 << 16, useAsync: false);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new OutputTargetException(command, file.FilePath!, exception);
        }
    }
}
