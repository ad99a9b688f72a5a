namespace EdgeGuard.Mqtt.Publishing;

/// <summary>
/// The other instances this process saw on its availability topic, and raised
/// <c>fault.duplicate-gateway</c> for: each once, and at most <see cref="Capacity"/> remembered.
/// A clone's will comes again at every reconnect of the fight, and anyone holding the gateway's
/// identity could publish a stream of made-up instances: neither may grow the gateway's memory
/// or flood its journal (the alarm is critical, so it takes the journal's reserve). Past the
/// capacity the office has long been told. Thread-safe: the availability watch calls it from
/// MQTTnet's receive handler.
/// </summary>
internal sealed class DuplicateInstances
{
    /// <summary>How many other instances one process remembers (and raises the alarm for).</summary>
    public const int Capacity = 8;

    // The value of an instance already raised; else the connection it was first seen on.
    private const long Raised = -1;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, long> _seen = new(StringComparer.Ordinal);

    /// <summary>
    /// Evidence on its own: whether to raise the alarm for <paramref name="instance"/> now (not
    /// raised yet, and there was room for it).
    /// </summary>
    public bool Add(string instance)
    {
        lock (_gate)
        {
            if (_seen.TryGetValue(instance, out var first))
            {
                _seen[instance] = Raised;
                return first != Raised;
            }

            return TryRemember(instance, Raised);
        }
    }

    /// <summary>
    /// Evidence only when it comes again: whether <paramref name="instance"/> was seen on a
    /// connection before <paramref name="connection"/> too, and is not raised yet (raise it now).
    /// The first sighting is remembered, within <see cref="Capacity"/>.
    /// </summary>
    public bool Sighted(string instance, long connection)
    {
        lock (_gate)
        {
            if (!_seen.TryGetValue(instance, out var first))
            {
                TryRemember(instance, connection);
                return false;
            }

            if (first == Raised || first == connection)
            {
                return false;
            }

            _seen[instance] = Raised;
            return true;
        }
    }

    private bool TryRemember(string instance, long value)
    {
        if (_seen.Count >= Capacity)
        {
            return false;
        }

        _seen.Add(instance, value);
        return value == Raised;
    }
}
