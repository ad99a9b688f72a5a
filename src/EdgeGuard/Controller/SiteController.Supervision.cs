using EdgeGuard.Core;
using EdgeGuard.Core.Filters;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Controller;

// Input supervision (chatter, stuck points) between the filters and the decider. Kept in its own
// part so the loop in SiteController.cs reads as the flow: filter → supervise → decide.
public sealed partial class SiteController
{
    private readonly Dictionary<string, PointSupervisor> _supervisors = new(StringComparer.Ordinal);

    /// <summary>Ids of the points whose changes are withheld from the decider; replaced, never mutated.</summary>
    private string[] _suppressed = [];

    private void StartSupervising(PointDefinition point, SupervisionPolicy policy, bool settledActive, TimeSpan now) =>
        _supervisors[point.Id] = new PointSupervisor(point, policy, settledActive, now);

    /// <summary>Samples an edge into its point's filter and hands on what that changes.</summary>
    private void OnFilteredEdge(PointFilter filter, bool active, TimeSpan at, Moment now, List<DomainEvent> events)
    {
        if (filter.Sample(active, at) is not { } changed)
        {
            return;
        }

        OnFilteredChange(filter, changed, now, events);
        // The change may be a level that held until this edge (PointFilter.Sample); the edge's own
        // can then be due at once as well: a panic or fire input whose lock-out had also ended by
        // this edge. Decided now, not behind whatever the loop has queued, unless the first one went
        // to the loop to be saved first: the timer, already due, then brings it right after.
        if (_deferred is null && filter.Tick(at) is { } alsoDue)
        {
            OnFilteredChange(filter, alsoDue, now, events);
        }
    }

    /// <summary>A filtered change: supervised, then decided on unless supervision withholds it.</summary>
    private void OnFilteredChange(PointFilter filter, bool active, Moment now, List<DomainEvent> events)
    {
        if (Supervise(filter.Point, active, now, events))
        {
            Apply(new PointChanged(filter.Point.Id, active), now, events);
        }
    }

    /// <summary>Passes a filtered change through the point's supervisor; true when the decider should see it.</summary>
    private bool Supervise(PointDefinition point, bool active, Moment now, List<DomainEvent> events)
    {
        if (!_supervisors.TryGetValue(point.Id, out var supervisor))
        {
            return true;
        }

        var wasSuppressed = supervisor.Suppressed;
        var forward = supervisor.OnChange(active, now, events);
        if (supervisor.Suppressed != wasSuppressed)
        {
            RefreshSuppressed();
        }

        return forward;
    }

    /// <summary>Runs the settle and stuck timers; a suppressed point that settled has its state applied.</summary>
    private void TickSupervisors(Moment now, List<DomainEvent> events)
    {
        foreach (var supervisor in _supervisors.Values)
        {
            var wasSuppressed = supervisor.Suppressed;
            if (supervisor.Tick(now, events) is { } settled)
            {
                RefreshSuppressed();
                // The decider ignores a "change" to the state it already has, so a point that settled
                // where it was when suppression began raises nothing more than fault.chatter-restored.
                Apply(new PointChanged(supervisor.Point.Id, settled), now, events);
            }
            else if (supervisor.Suppressed != wasSuppressed)
            {
                RefreshSuppressed();
            }
        }
    }

    /// <summary>Recomputes the suppressed list and shows it in the snapshot at once (a withheld change decides nothing).</summary>
    private void RefreshSuppressed()
    {
        _suppressed = _supervisors.Values.Where(s => s.Suppressed).Select(s => s.Point.Id).Order(StringComparer.Ordinal).ToArray();
        if (_snapshot is { } snapshot)
        {
            _snapshot = snapshot with { SuppressedPoints = _suppressed };
        }
    }
}
