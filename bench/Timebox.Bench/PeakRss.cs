namespace Timebox.Bench;

/// <summary>Samples this process's RSS and thread count every 10 ms until disposed, keeping the peaks.</summary>
internal sealed class PeakRss : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampler;
    private long _kilobytes;
    private long _threads;

    public PeakRss()
    {
        Sample();
        _sampler = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                Sample();
                await Task.Delay(10);
            }
        });
    }

    public long Kilobytes
    {
        get
        {
            Sample();
            return Interlocked.Read(ref _kilobytes);
        }
    }

    public long Threads => Interlocked.Read(ref _threads);

    public void Dispose()
    {
        _stop.Cancel();
        _sampler.Wait();
        _stop.Dispose();
    }

    private void Sample()
    {
        InterlockedMax(ref _kilobytes, ProcStatus.Kilobytes("VmRSS"));
        InterlockedMax(ref _threads, ProcStatus.Kilobytes("Threads"));
    }

    private static void InterlockedMax(ref long target, long value)
    {
        long current;
        while (value > (current = Interlocked.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
