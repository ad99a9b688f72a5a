using EdgeGuard.Core.Site;

namespace EdgeGuard.Controller;

/// <summary>
/// The earliest deadline of each point's filter and supervisor, written when they change, so the
/// controller's timer schedule after every decision reads one array instead of asking every
/// filter and supervisor. That schedule runs on the thread that has just sent the event's
/// PUBLISH, before it lets go, where asking ~100 objects cost ~6 µs (docs/PERFORMANCE.md, runs Z7).
/// Not thread-safe: the controller's loop (or the edge holding its gate) owns it.
/// </summary>
internal sealed class PointDeadlines
{
    private readonly Dictionary<string, int> _slots = new(StringComparer.Ordinal);

    // Per point, in site order; TimeSpan.MaxValue when nothing is pending.
    private readonly TimeSpan[] _due;

    /// <summary>One slot per point, nothing pending.</summary>
    public PointDeadlines(IReadOnlyList<PointDefinition> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        _due = new TimeSpan[points.Count];
        for (var i = 0; i < points.Count; i++)
        {
            _slots.Add(points[i].Id, i);
            _due[i] = TimeSpan.MaxValue;
        }
    }

    /// <summary>Records the point's deadlines now (monotonic), either null when nothing is pending.</summary>
    /// <exception cref="KeyNotFoundException">The point is not one of the site's.</exception>
    public void Set(string pointId, TimeSpan? filterDue, TimeSpan? supervisorDue)
    {
        var filter = filterDue ?? TimeSpan.MaxValue;
        var supervisor = supervisorDue ?? TimeSpan.MaxValue;
        _due[_slots[pointId]] = filter < supervisor ? filter : supervisor;
    }

    /// <summary>The earliest deadline of any point, or null when none is pending.</summary>
    public TimeSpan? Earliest
    {
        get
        {
            var earliest = TimeSpan.MaxValue;
            foreach (var due in _due)
            {
                earliest = due < earliest ? due : earliest;
            }

            return earliest == TimeSpan.MaxValue ? null : earliest;
        }
    }
}
