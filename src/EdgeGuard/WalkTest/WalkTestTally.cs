using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.WalkTest;

/// <summary>
/// What a walk test saw of each point. A point counts as <b>seen</b> once its filtered state changed: the
/// wire, the filter and the configuration (line, active level, pull) all did their part. A point that only
/// read active from the start proves nothing and is not seen until it changes.
/// </summary>
internal sealed class WalkTestTally(SiteDefinition site)
{
    private readonly Dictionary<string, PointCount> _counts = site.Points.ToDictionary(p => p.Id, _ => new PointCount(), StringComparer.Ordinal);

    /// <summary>How many points were seen.</summary>
    public int Seen { get; private set; }

    /// <summary>True once every point was seen.</summary>
    public bool AllSeen => Seen == _counts.Count;

    /// <summary>Points never seen, in configuration order.</summary>
    public IReadOnlyList<PointDefinition> NotSeen => [.. site.Points.Where(p => _counts[p.Id].Changes == 0)];

    /// <summary>The counts of one point.</summary>
    public PointCount Of(string pointId) => _counts[pointId];

    /// <summary>Counts a filtered change.</summary>
    public void Changed(string pointId, bool active)
    {
        var count = _counts[pointId];
        Seen += count.Changes == 0 ? 1 : 0;
        if (active)
        {
            count.Activations++;
        }
        else
        {
            count.Restores++;
        }
    }

    /// <summary>Counts a loop found cut or bridged.</summary>
    public void Board(DomainEvent e)
    {
        if (e is EolTamperDetected tamper && _counts.TryGetValue(tamper.PointId, out var count))
        {
            count.Tampers[tamper.Condition] = count.Tampers.GetValueOrDefault(tamper.Condition) + 1;
        }
    }

    /// <summary>Counts for one point.</summary>
    internal sealed class PointCount
    {
        public int Activations { get; set; }

        public int Restores { get; set; }

        public int Changes => Activations + Restores;

        public Dictionary<LoopTamper, int> Tampers { get; } = [];
    }
}
