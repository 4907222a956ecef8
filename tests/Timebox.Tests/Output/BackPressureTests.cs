using System.Diagnostics;
using Timebox.Tests.Support;

namespace Timebox.Tests.Output;

/// <summary>Measures the host's memory, so nothing else may run beside it.</summary>
[Collection(SerialCollection.Name)]
public sealed class BackPressureTests : ChildTest
{
    [Fact]
    public async Task A_slow_reader_slows_the_program_instead_of_growing_memory()
    {
        // The child would write 1 GiB of lines as fast as the pipe takes them; the reader takes 10 ms per line.
        await using var process = Child("text-out", (1L << 30).ToString(System.Globalization.CultureInfo.InvariantCulture)).WithStdout(OutputTarget.Pipe).Start();
        var baseline = ManagedAndNativeBytes();
        var read = 0;
        var clock = Stopwatch.StartNew();
        await foreach (var line in process.ReadLinesAsync())
        {
            Assert.Equal(63, line.Text.Length);
            read++;
            await Task.Delay(10);
            if (clock.Elapsed > TimeSpan.FromSeconds(3)) break;
        }
        var growth = ManagedAndNativeBytes() - baseline;

        Assert.InRange(read, 10, 400);
        Assert.InRange(growth, long.MinValue, 48L << 20);
        Assert.False(process.HasEnded);
    }

    private static long ManagedAndNativeBytes()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        using var self = System.Diagnostics.Process.GetCurrentProcess();
        return self.PrivateMemorySize64;
    }
}
