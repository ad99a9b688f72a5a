using EdgeGuard.Core;
using EdgeGuard.Core.Filters;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Controller;

// The one timer that ticks filters, supervisors and the decider's deadlines, and retries outputs. Re-armed after every
// message for the earliest deadline; the points' deadlines are kept in PointDeadlines as each
// filter and supervisor changes (an edge touches one point, a tick all of them).
public sealed partial class SiteController
{
    /// <summary>
    /// The longest the timer waits: stuck times run to weeks, beyond what a timer accepts (~49
    /// days), and waking early only costs a tick that finds nothing due.
    /// </summary>
    private static readonly TimeSpan MaxTimerWait = TimeSpan.FromDays(1);

    private readonly PointDeadlines _pointDeadlines = new(site.Points);

    // Per point whose edges may reach the loop after their stamp (IInputLines.MaxDeliveryDelay: an
    // expander's, stamped before its bus read), that bound; absent for the rest (zero). Filled at boot.
    private readonly Dictionary<string, TimeSpan> _deliveryDelays = new(StringComparer.Ordinal);

    /// <summary>Records how late the point's edges may arrive after their stamps (at boot, before its deadlines).</summary>
    private void NoteDeliveryDelay(PointDefinition point)
    {
        var delay = inputs.MaxDeliveryDelay(point.Id);
        if (delay > TimeSpan.Zero)
        {
            _deliveryDelays[point.Id] = delay;
        }
    }

    // Up to when a point's filter may be judged at a timer that fired at `fired`: every edge of
    // the point stamped before then has been handled by now. An expander stamps an edge when its
    // interrupt line falls, before the bus read that finds the pin; judged at `fired` itself, a
    // bounce stamped just before the debounce's end but still being read was handled after the
    // tick had accepted the level it contradicts: a locked door's contact bounce reported as
    // door.forced. Judging the filter this much behind the timer (and arming the timer this much
    // after its deadline, RefreshDeadline) waits for such an edge instead. Re-judging when it came
    // could not take back the events already sent, and stamping after the read would not help: the
    // bounce would then be stamped after the deadline, and the level before it held "long enough".
    // What a change counts as of (ChangedAt) does not move; only its decision waits.
    private TimeSpan JudgedUpTo(PointFilter filter, TimeSpan fired) =>
        _deliveryDelays.TryGetValue(filter.Point.Id, out var delay) ? fired - delay : fired;

    /// <summary>
    /// A timer pass: every filter and supervisor that is due, then the decider's deadlines. Filters
    /// tick at the moment the timer fired, not when a backlogged loop got to it: edges queued ahead
    /// of this message are earlier and those behind it later, so each level is judged by how long
    /// it really held (PointFilter decides from those times). A point whose edges may arrive after
    /// their stamps is judged that much behind the timer (<see cref="JudgedUpTo"/>).
    /// </summary>
    private void OnTimer(long fired, Moment now, List<DomainEvent> events)
    {
        var firedAt = Moment.MonotonicOf(time, fired);
        try
        {
            foreach (var pending in _filters.Values)
            {
                // Each point on its own: a decision that throws for one must not leave the others'
                // due changes, the supervisors and the decider's deadlines for another turn.
                try
                {
                    if (pending.Tick(JudgedUpTo(pending, firedAt)) is { } ticked)
                    {
                        OnFilteredChange(pending, ticked, now, events);
                    }
                }
#pragma warning disable CA1031 // Logged; the point is put in step after this message (ResyncPoints).
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    OnPointFault(ex);
                }
            }

            TickSupervisors(now, events);
        }
        finally
        {
            RefreshDeadlines();
        }

        // Before the decision: a save past its bound is reported ahead of anything decided now.
        CheckLateSave(now, events);
        Apply(TimerTick.Instance, now, events);
    }

    /// <summary>
    /// Records one point's deadlines after its filter or supervisor may have changed; the filter's is
    /// when the timer must fire for it to be judged at its deadline (<see cref="JudgedUpTo"/>).
    /// </summary>
    private void RefreshDeadline(PointFilter filter) =>
        _pointDeadlines.Set(
            filter.Point.Id,
            filter.NextDeadline + (_deliveryDelays.TryGetValue(filter.Point.Id, out var delay) ? delay : TimeSpan.Zero),
            _supervisors.TryGetValue(filter.Point.Id, out var supervisor) ? supervisor.NextDeadline : null);

    /// <summary>Records every point's deadlines (after a tick, which may change any of them).</summary>
    private void RefreshDeadlines()
    {
        foreach (var filter in _filters.Values)
        {
            RefreshDeadline(filter);
        }
    }

    private void ScheduleTimer(Moment now)
    {
        var next = SiteDecider.NextDeadline(site, _state, now);
        if (_pointDeadlines.Earliest is { } point && (next is null || point < next))
        {
            next = point;
        }

        // Outputs that do not show the plan are driven again on this timer's tick (SiteController.Outputs.cs),
        // a safety state whose save failed is saved again, a change only in the held panic buttons
        // is saved, and a late save is checked at its bound (SiteController.Persistence.cs).
        foreach (var retry in (ReadOnlySpan<TimeSpan?>)[_outputRetryAt, _safetySaveRetryAt, _safetySaveDueAt, _safetyLateAt])
        {
            next = retry is { } r && (next is null || r < next) ? r : next;
        }

        var delay = Timeout.InfiniteTimeSpan;
        if (next is { } at)
        {
            // Rounded up: a wait under a millisecond would fire at once, tick with nothing due yet
            // and re-arm, over and over until the deadline (TimerDelay).
            var left = at - now.Monotonic;
            delay = left > MaxTimerWait ? MaxTimerWait : TimerDelay.Until(left);
        }

        _timer?.Change(delay, Timeout.InfiniteTimeSpan);
    }
}
