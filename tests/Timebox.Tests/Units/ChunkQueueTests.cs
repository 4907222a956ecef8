using Timebox.Output;

namespace Timebox.Tests.Units;

/// <summary>
/// <see cref="ChunkQueue"/>: chunks in order to one consumer, back-pressure by bytes (a chunk costs its bytes plus a fixed
/// overhead) from <see cref="ChunkQueue.HighWater"/> down to <see cref="ChunkQueue.LowWater"/>, one resume per pause,
/// completion after the last chunk, and a consumer that goes away.
/// </summary>
[Trait("Category", "Unit")]
public sealed class ChunkQueueTests
{
    private const int Overhead = 64;

    // The bytes are never looked at: every chunk shares them.
    private static readonly byte[] Bytes = new byte[ChunkQueue.HighWater * 4];

    private int _resumes;

    private ChunkQueue NewQueue() => new(() => _resumes++);

    // sizes: the chunks added one after the other; the last add's answer is whether the producer must pause.
    [Theory]
    [InlineData(false, 1)]
    [InlineData(false, ChunkQueue.HighWater - Overhead - 1)]
    [InlineData(true, ChunkQueue.HighWater - Overhead)]
    [InlineData(true, ChunkQueue.HighWater * 4)]
    [InlineData(false, ChunkQueue.HighWater / 2 - Overhead, ChunkQueue.HighWater / 2 - Overhead - 1)]
    [InlineData(true, ChunkQueue.HighWater / 2 - Overhead, ChunkQueue.HighWater / 2 - Overhead)]
    [InlineData(true, 0, ChunkQueue.HighWater)]
    public void The_add_that_reaches_the_high_water_mark_pauses_the_producer(bool pauses, params int[] sizes)
    {
        var queue = NewQueue();
        foreach (var size in sizes[..^1]) Assert.False(queue.Add(Chunk(size)));
        Assert.Equal(pauses, queue.Add(Chunk(sizes[^1])));
        Assert.Equal(pauses, queue.IsFull);
        Assert.Equal(0, _resumes);
    }

    [Fact]
    public void A_program_writing_one_byte_at_a_time_pauses_long_before_a_million_chunks()
    {
        var queue = NewQueue();
        var added = 1;
        while (!queue.Add(Chunk(1))) added++;
        Assert.Equal((ChunkQueue.HighWater + Overhead) / (1 + Overhead), added);
    }

    [Fact]
    public void Taking_the_queue_down_to_the_low_water_mark_resumes_the_producer_once()
    {
        var queue = NewQueue();
        const int size = 4096 - Overhead;
        var chunks = 0;
        while (!queue.Add(Chunk(size, chunks))) chunks++;
        chunks++;
        var remaining = (long)chunks * 4096;
        while (remaining - 4096 > ChunkQueue.LowWater)
        {
            Assert.True(queue.TryTake(out _));
            remaining -= 4096;
            Assert.True(queue.IsFull);
            Assert.Equal(0, _resumes);
        }
        Assert.True(queue.TryTake(out _));
        Assert.False(queue.IsFull);
        Assert.Equal(1, _resumes);
        while (queue.TryTake(out _))
        {
        }
        Assert.Equal(1, _resumes);
    }

    [Fact]
    public void A_queue_never_full_never_resumes_anyone()
    {
        var queue = NewQueue();
        for (var i = 0; i < 100; i++) Assert.False(queue.Add(Chunk(1000, i)));
        while (queue.TryTake(out _))
        {
        }
        Assert.Equal(0, _resumes);
    }

    [Fact]
    public async Task Chunks_come_out_in_the_order_they_went_in_then_the_end()
    {
        var queue = NewQueue();
        for (var i = 0; i < 1000; i++) queue.Add(Chunk(i % 7, i));
        queue.Complete();
        Assert.False(queue.IsFinished);
        for (var i = 0; i < 1000; i++)
        {
            var chunk = await queue.TakeAsync(CancellationToken.None);
            Assert.Equal(i, chunk!.Value.Sequence);
            Assert.Equal(i % 7, chunk.Value.Bytes.Length);
        }
        Assert.Null(await queue.TakeAsync(CancellationToken.None));
        Assert.True(queue.IsFinished);
        Assert.False(await queue.WaitAsync(CancellationToken.None));
    }

    [Fact]
    public async Task A_consumer_waiting_on_an_empty_queue_wakes_for_a_chunk_and_for_the_end()
    {
        var queue = NewQueue();
        var waiting = queue.WaitAsync(CancellationToken.None);
        Assert.False(waiting.IsCompleted);
        queue.Add(Chunk(3, 7));
        Assert.True(await waiting);
        Assert.True(queue.TryTake(out var chunk));
        Assert.Equal(7, chunk.Sequence);

        var end = queue.TakeAsync(CancellationToken.None);
        Assert.False(end.IsCompleted);
        queue.Complete();
        Assert.Null(await end);
    }

    [Fact]
    public async Task A_canceled_wait_throws_and_leaves_the_queue_as_it_was()
    {
        var queue = NewQueue();
        using var cancellation = new CancellationTokenSource();
        var waiting = queue.WaitAsync(cancellation.Token).AsTask();
        await cancellation.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        queue.Add(Chunk(1, 1));
        Assert.True(queue.TryTake(out _));
    }

    [Fact]
    public void Abandoning_a_full_queue_drops_what_it_holds_and_resumes_the_producer()
    {
        var queue = NewQueue();
        Assert.True(queue.Add(Chunk(ChunkQueue.HighWater)));
        queue.Abandon();
        Assert.Equal(1, _resumes);
        Assert.False(queue.IsFull);
        Assert.False(queue.TryTake(out _));
    }

    [Fact]
    public void After_abandoning_every_add_is_dropped_and_never_pauses()
    {
        var queue = NewQueue();
        queue.Add(Chunk(10));
        queue.Abandon();
        Assert.Equal(0, _resumes);
        for (var i = 0; i < 10; i++) Assert.False(queue.Add(Chunk(ChunkQueue.HighWater)));
        Assert.False(queue.IsFull);
        Assert.False(queue.TryTake(out _));
        queue.Complete();
        Assert.True(queue.IsFinished);
    }

    [Fact]
    public async Task A_producer_and_a_consumer_on_two_threads_lose_nothing_and_each_pause_gets_one_resume()
    {
        // The race the add guards against: the consumer takes the queue down between the add and its flag. A pause
        // without its resume would leave the producer waiting for good; a resume without a pause would show as a count left over.
        using var resumed = new SemaphoreSlim(0);
        var queue = new ChunkQueue(() => resumed.Release());
        const int count = 20_000;
        var consumer = Task.Run(async () =>
        {
            long expected = 0;
            while (await queue.TakeAsync(CancellationToken.None) is { } chunk) Assert.Equal(expected++, chunk.Sequence);
            return expected;
        });
        var pauses = 0;
        for (var i = 0; i < count; i++)
        {
            if (!queue.Add(Chunk(200_000 - Overhead, i))) continue;
            pauses++;
            Assert.True(await resumed.WaitAsync(TimeSpan.FromSeconds(30)), $"pause {pauses} was never resumed");
        }
        queue.Complete();
        Assert.Equal(count, await consumer);
        Assert.InRange(pauses, count / 10, count);
        Assert.Equal(0, resumed.CurrentCount);
    }

    private static OutputChunk Chunk(int size, long sequence = 0) => new(OutputSource.Stdout, Bytes.AsMemory(0, size), sequence);
}
