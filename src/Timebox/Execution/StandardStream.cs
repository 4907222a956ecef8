namespace Timebox.Execution;

/// <summary>One of the child's standard streams, numbered as their Unix descriptors.</summary>
internal enum StandardStream
{
    Input = 0,
    Output = 1,
    Error = 2,
}
