namespace Timebox.Tests.Support;

/// <summary>
/// What the test host's descriptors 0, 1 and 2 point to: a fault must never close or replace the host's own stdio.
/// Take one when a test starts and compare with <see cref="AssertUnchanged"/> at its end.
/// </summary>
public sealed class HostStdio
{
    private readonly string?[] _targets = Read();

    public void AssertUnchanged() => Assert.Equal(_targets, Read());

    private static string?[] Read() =>
        [.. Enumerable.Range(0, 3).Select(fd => new FileInfo($"/proc/self/fd/{fd}").LinkTarget)];
}
