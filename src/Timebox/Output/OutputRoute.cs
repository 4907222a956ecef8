namespace Timebox.Output;

/// <summary>
/// Everything one output stream read by the host flows through: the pump on the event loop, the capture, the queue and
/// feeder task of its streams and callbacks, and the queue the caller reads when it is piped.
/// </summary>
internal sealed class OutputRoute : IOutputReader
{
    private readonly OutputConsumers _consumers;

    /// <summary>Builds the route over the host's read end of the pipe (non-blocking, owned from now on).</summary>
    public OutputRoute(int fd, OutputConsumers consumers)
    {
        Pump = new OutputPump(fd, consumers);
        _consumers = consumers;
    }

    public OutputPump Pump { get; }

    public CaptureBuffer? Capture => _consumers.Capture;

    public SinkFeeder? Feeder => _consumers.Feeder;

    public ConsumerClaim? Claim => _consumers.Claim;

    public IReadOnlyList<ChunkQueue> Queues => _consumers.Queues;

    public bool Paused => Pump.Paused;

    public bool Ended => Pump.Ended;

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
