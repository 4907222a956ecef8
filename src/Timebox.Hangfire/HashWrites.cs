using Hangfire.Storage;

namespace Timebox.Hangfire;

/// <summary>
/// Writes to the batch's hashes through a write transaction, a chunk at a time. Not through
/// IStorageConnection.SetRangeInHash: Hangfire.PostgreSql runs that one as a serializable transaction, which fails
/// (40001, "could not serialize access") when workers record results into the same hash at once, and its own retry
/// does not see the error through the TransactionScope; a failed result write would make Hangfire run the job again.
/// </summary>
internal static class HashWrites
{
    private const int Chunk = 500;
    private static readonly TimeSpan[] Backoff = [TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(1)];

    /// <summary>Sets the entries (an idempotent write: retried a few times on a transient failure before it is thrown).</summary>
    public static void Set(IStorageConnection connection, string key, IEnumerable<KeyValuePair<string, string>> entries)
    {
        foreach (var chunk in entries.Chunk(Chunk))
        {
            for (var attempt = 0; ; attempt++)
            {
                try
                {
                    using var transaction = connection.CreateWriteTransaction();
                    transaction.SetRangeInHash(key, chunk);
                    transaction.Commit();
                    break;
                }
#pragma warning disable CA1031 // a storage's transient errors have no common type; the last one is thrown
                catch (Exception) when (attempt < Backoff.Length)
#pragma warning restore CA1031
                {
                    Thread.Sleep(Backoff[attempt]);
                }
            }
        }
    }
}
