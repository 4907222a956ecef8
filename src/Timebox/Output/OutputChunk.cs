namespace Timebox;

/// <summary>Bytes as one read from a program's output pipe returned them: raw, undecoded, for binary output.</summary>
public readonly struct OutputChunk
{
    internal OutputChunk(OutputSource source, ReadOnlyMemory<byte> bytes, long sequence)
    {
        Source = source;
        Bytes = bytes;
        Sequence = sequence;
    }

    /// <summary>The stream the bytes came from.</summary>
    public OutputSource Source { get; }

    /// <summary>The bytes. They belong to the caller: Timebox never reuses the memory.</summary>
    public ReadOnlyMemory<byte> Bytes { get; }

    // Arrival order across the two pipes of one run, stamped by the event loop that read them.
    internal long Sequence { get; }
}
