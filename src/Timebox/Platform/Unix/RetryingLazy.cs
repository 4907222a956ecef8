using System.Runtime.CompilerServices;

namespace Timebox.Platform.Unix;

/// <summary>
/// Like <see cref="Lazy{T}"/>: created on first use, one creation at a time, then the same value for good. Unlike it, a
/// creation that throws is not remembered: the next use tries again. What the host could not have while it was out of
/// descriptors (the shared event loop, /dev/null) it must get once it has them again, not fail for the rest of its life.
/// </summary>
internal sealed class RetryingLazy<T>(Func<T> create)
{
    private readonly Lock _creating = new();
    private volatile StrongBox<T>? _created;

    /// <exception cref="Exception">Whatever the creation threw, this time.</exception>
    public T Value => (_created ?? Create()).Value!;

    private StrongBox<T> Create()
    {
        lock (_creating) return _created ??= new StrongBox<T>(create());
    }
}
