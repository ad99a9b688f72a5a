using System.Collections.Immutable;
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

    /// <summary>True after a failed message until every point's filtered level reached the decider.</summary>
    private bool _pointsOutOfStep;

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
        if (_deferred.Count == 0 && filter.Tick(at) is { } alsoDue)
        {
            OnFilteredChange(filter, alsoDue, now, events);
        }
    }

    /// <summary>
    /// A filtered change: supervised (its hold time counted from when the filter's change counted,
    /// however late the loop got to it), then decided on unless supervision withholds it.
    /// </summary>
    private void OnFilteredChange(PointFilter filter, bool active, Moment now, List<DomainEvent> events)
    {
        if (Supervise(filter.Point, active, filter.ChangedAt, now, events))
        {
            Apply(new PointChanged(filter.Point.Id, active), now, events);
        }
    }

    /// <summary>Passes a filtered change through the point's supervisor; true when the decider should see it.</summary>
    private bool Supervise(PointDefinition point, bool active, TimeSpan seenAt, Moment now, List<DomainEvent> events)
    {
        if (!_supervisors.TryGetValue(point.Id, out var supervisor))
        {
            return true;
        }

        var before = (supervisor.Suppressed, supervisor.Chattering);
        var forward = supervisor.OnChange(active, now, events, seenAt);
        RefreshSuppressedIfMoved(supervisor, before, now, events);
        return forward;
    }

    // The decider's view of suppressed and chattering points follows a supervisor that moved.
    private void RefreshSuppressedIfMoved(PointSupervisor supervisor, (bool Suppressed, bool Chattering) before, Moment now, List<DomainEvent> events)
    {
        if ((supervisor.Suppressed, supervisor.Chattering) != before)
        {
            RefreshSuppressed(now, events);
        }
    }

    /// <summary>Runs the settle, hold and stuck timers; a suppressed point that settled or held a level has it applied.</summary>
    private void TickSupervisors(Moment now, List<DomainEvent> events)
    {
        foreach (var supervisor in _supervisors.Values)
        {
            try
            {
                var before = (supervisor.Suppressed, supervisor.Chattering);
                var settled = supervisor.Tick(now, events);
                // First the decider trusts the point again, then it gets its settled state.
                RefreshSuppressedIfMoved(supervisor, before, now, events);

                if (supervisor.MissedActive)
                {
                    // An alarm it reached but never held for the hold time (a door forced for
                    // 2.5 s): decided now, once per episode, and then the settled level below.
                    Apply(new PointChanged(supervisor.Point.Id, true), now, events);
                }

                if (settled is { } level)
                {
                    // Settled, or a level that held while still suppressed (a door forced open).
                    // The decider ignores a "change" to the state it already has, so a point that settled
                    // where it was when suppression began, and reached no alarm it missed (above),
                    // raises nothing more than fault.chatter-restored.
                    Apply(new PointChanged(supervisor.Point.Id, level), now, events);
                }
            }
#pragma warning disable CA1031 // As for the filters (OnTimer): one point's failure must not hold up the others.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                OnPointFault(ex);
            }
        }
    }

    /// <summary>A point's change failed half way: logged, and its point put in step after the message.</summary>
    private void OnPointFault(Exception ex)
    {
        LogLoopFault(ex, nameof(TimerMessage));
        _pointsOutOfStep = true;
    }

    /// <summary>
    /// After a message whose handling threw: a filter or supervisor moved before the decision that
    /// failed, so the decider never took that change, and no later edge or tick repeats it (the
    /// filter has it already). Every point whose filtered level differs from the decider's is
    /// applied again as a change, except a suppressed one (its changes are withheld on purpose).
    /// </summary>
    private void ResyncPoints(Moment now, List<DomainEvent> events)
    {
        if (_onEdgeThread)
        {
            // Left to the loop, next: a change applied again may have to be saved first, and must
            // come after what waits for the loop (_deferred). The wake-up makes the next edges queue too.
            _channel.Writer.TryWrite(WakeMessage.Instance);
            return;
        }

        _pointsOutOfStep = false;
        foreach (var filter in _filters.Values)
        {
            var id = filter.Point.Id;
            if (filter.Active == _state.IsActive(id) || (_supervisors.TryGetValue(id, out var supervisor) && supervisor.Suppressed))
            {
                continue;
            }

            try
            {
                Apply(new PointChanged(id, filter.Active), now, events);
            }
#pragma warning disable CA1031 // Logged; tried again after the next message.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogLoopFault(ex, nameof(PointChanged));
                _pointsOutOfStep = true;
            }
        }
    }

    /// <summary>
    /// Recomputes the suppressed list and shows it in the snapshot at once (a withheld change
    /// decides nothing), and tells the decider, with the chattering points it does not withhold:
    /// a door must not be held open on a contact whose state is frozen, and a chattering panic
    /// button retriggers at most once per episode. That decision changes nothing persisted, so it
    /// is never deferred.
    /// </summary>
    private void RefreshSuppressed(Moment now, List<DomainEvent> events)
    {
        _suppressed = _supervisors.Values.Where(s => s.Suppressed).Select(s => s.Point.Id).Order(StringComparer.Ordinal).ToArray();
        if (_snapshot is { } snapshot)
        {
            _snapshot = snapshot with { SuppressedPoints = _suppressed };
        }

        var chattering = _supervisors.Values.Where(s => s.Chattering && !s.Suppressed).Select(s => s.Point.Id);
        Apply(new PointsSuppressed(ImmutableSortedSet.Create(StringComparer.Ordinal, _suppressed))
        {
            Chattering = ImmutableSortedSet.CreateRange(StringComparer.Ordinal, chattering),
        }, now, events);
    }
}
