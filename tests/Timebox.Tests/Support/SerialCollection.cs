namespace Timebox.Tests.Support;

/// <summary>Tests that measure the whole host (descriptors, threads, children) run alone, with no other test spawning beside them.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCollection
{
    public const string Name = "Serial: measures the whole host";
}
