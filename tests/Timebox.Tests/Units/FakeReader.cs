using Timebox.Output;

namespace Timebox.Tests.Units;

/// <summary>The pipe reader of a <see cref="FakeRun"/>: real consumers (capture, queues, idle clock), a pipe that exists only in the test's words.</summary>
internal sealed class FakeReader(OutputSource source, OutputConsumers consumers) : IOutputReader
{
    public OutputSource Source => source;

    public OutputConsumers Consumers => consumers;

    public bool Paused { get; set; }

    public bool Ended { get; private set; }

    /// <summary>Every writer of the pipe is gone (the platform saw the hang-up of a paused pipe).</summary>
    public bool HungUp { get; set; }

    /// <summary>A writer the kill cannot reach (a grandchild in another session) still holds the pipe: closing it leaves output behind.</summary>
    public bool HeldOpen { get; set; }

    public void End()
    {
        if (Ended) return;
        Ended = true;
        consumers.Complete();
    }
}
