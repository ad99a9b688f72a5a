namespace EdgeGuard.Core.Commands;

/// <summary>
/// Command ids the gateway has already acted on or refused after authenticating them. A
/// persistent implementation (SQLite, next to the journal) keeps replays out across restarts.
/// </summary>
public interface ISeenCommandIds
{
    /// <summary>
    /// Records <paramref name="id"/> and returns true, or returns false if it was recorded before.
    /// <paramref name="forgetAfter"/> is when the id may be dropped: after it, the command is
    /// refused as expired anyway, which keeps the store bounded.
    /// </summary>
    bool TryRecord(string id, DateTimeOffset forgetAfter, DateTimeOffset now);
}

/// <summary>In-memory <see cref="ISeenCommandIds"/> for tests and tools; forgotten at restart.</summary>
public sealed class InMemorySeenCommandIds : ISeenCommandIds
{
    private readonly Dictionary<string, DateTimeOffset> _seen = new(StringComparer.Ordinal);

    /// <summary>How many ids are remembered.</summary>
    public int Count => _seen.Count;

    /// <inheritdoc />
    public bool TryRecord(string id, DateTimeOffset forgetAfter, DateTimeOffset now)
    {
        foreach (var old in _seen.Where(e => e.Value < now).Select(e => e.Key).ToList())
        {
            _seen.Remove(old);
        }

        return _seen.TryAdd(id, forgetAfter);
    }
}
