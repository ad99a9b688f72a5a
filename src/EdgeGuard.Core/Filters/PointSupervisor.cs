using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Core.Filters;

/// <summary>
/// Watches one point's filtered changes for faults of the input itself: chatter (too many
/// transitions within a window) and, when configured, a point stuck in one state. It stands between
/// the point's <see cref="PointFilter"/> and <see cref="SiteDecider"/> and says which changes go on.
/// </summary>
/// <remarks>
/// <para>Chatter: when the <see cref="SupervisionPolicy.ChatterTransitions"/>th transition within
/// <see cref="SupervisionPolicy.ChatterWindow"/> arrives, <c>fault.chatter</c> is raised and that
/// transition and every later one are withheld from the decider, so a flapping fence sensor raises one
/// fault instead of an alarm per gust. Once the point has had no transition for
/// <see cref="SupervisionPolicy.SettleTime"/>, <c>fault.chatter-restored</c> is raised and
/// <see cref="Tick"/> returns the settled state for the decider to catch up on. While suppressed, a
/// level that differs from the decider's and holds for <see cref="SupervisionPolicy.HoldTime"/> is
/// returned by <see cref="Tick"/> too, with the point still suppressed: a door forced open during
/// the episode is decided (and alarmed) within the hold time, flaps stay withheld. An alarm level
/// reached but never held that long is handed on once, at the settle (<see cref="MissedActive"/>).
/// Panic and fire inputs
/// are reported the same way but never withheld (<see cref="PointDefinition.MayBeSuppressed"/>).</para>
/// <para>Stuck: a point with <see cref="PointDefinition.StuckAfter"/> that has no transition for that
/// long raises <c>fault.point-stuck</c> once, and <c>fault.point-stuck-restored</c> at its next change.</para>
/// <para>Like <see cref="PointFilter"/>, mutable, owned by the controller loop, and clock-free: time is passed in.</para>
/// </remarks>
public sealed class PointSupervisor
{
    private readonly PointDefinition _point;
    private readonly SupervisionPolicy _policy;
    // Times of the transitions still inside the chatter window; never more than ChatterTransitions.
    private readonly Queue<TimeSpan> _recent;
    private TimeSpan _lastChange;
    private int _episodeTransitions;
    // The level the decider has from this point: what it was told last (a change let through, a
    // held level, the settled state), so a withheld level that holds is handed on once.
    private bool _decided;
    // When the filter saw the current level: the hold time counts from it, not from when a
    // backlogged loop got to the change (as PointFilter judges levels by when they really held).
    private TimeSpan _heldSince;
    // This episode, the point went active while suppressed and the decider has not had it active
    // since: a short alarm the hold did not hand on (MissedActive).
    private bool _unseenActive;

    /// <summary>Starts supervising from the state read at boot; the stuck time counts from <paramref name="now"/>.</summary>
    public PointSupervisor(PointDefinition point, SupervisionPolicy policy, bool settledActive, TimeSpan now)
    {
        ArgumentNullException.ThrowIfNull(point);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentOutOfRangeException.ThrowIfNegative(policy.ChatterTransitions, nameof(policy));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(policy.ChatterWindow, TimeSpan.Zero, nameof(policy));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(policy.HoldTime, TimeSpan.Zero, nameof(policy));
        _point = point;
        _policy = policy;
        _recent = new Queue<TimeSpan>(policy.ChatterTransitions);
        Active = settledActive;
        _decided = settledActive;
        _lastChange = now;
        _heldSince = now;
    }

    /// <summary>The point supervised.</summary>
    public PointDefinition Point => _point;

    /// <summary>The point's latest filtered state, whether or not the decider has seen it.</summary>
    public bool Active { get; private set; }

    /// <summary>True between <c>fault.chatter</c> and <c>fault.chatter-restored</c>.</summary>
    public bool Chattering { get; private set; }

    /// <summary>True while the point's changes are withheld from the decider.</summary>
    public bool Suppressed => Chattering && _point.MayBeSuppressed;

    /// <summary>
    /// True right after the <see cref="Tick"/> that settled a suppressed episode in which the point
    /// reached its active (alarm) level while the decider had it at rest, and never held it for the
    /// hold time (a door forced for 2.5 s, a PIR pulse, a short fence climb): the caller hands the
    /// active level on first, then the level <see cref="Tick"/> returned, so the alarm and its
    /// restore are decided. At most once per episode, so chatter stays one fault and one alarm, not
    /// one per flap. Only for alarm inputs (door contacts, perimeter, tamper): a keyswitch turn is
    /// a command, and one made up from chatter could end a lockdown. Cleared by the next Tick.
    /// </summary>
    public bool MissedActive { get; private set; }

    /// <summary>True between <c>fault.point-stuck</c> and <c>fault.point-stuck-restored</c>.</summary>
    public bool Stuck { get; private set; }

    /// <summary>When <see cref="Tick"/> must next be called (settle or stuck time), or null.</summary>
    public TimeSpan? NextDeadline
    {
        get
        {
            TimeSpan? next = Chattering ? _lastChange + _policy.SettleTime : null;
            if (HoldPending && _heldSince + _policy.HoldTime < next)
            {
                next = _heldSince + _policy.HoldTime;
            }

            if (_point.StuckAfter is { } stuck && !Stuck && (next is null || _lastChange + stuck < next))
            {
                next = _lastChange + stuck;
            }

            return next;
        }
    }

    /// <summary>True while the point is suppressed at a level the decider does not have.</summary>
    private bool HoldPending => Suppressed && Active != _decided;

    /// <summary>Feeds a filtered change seen at <paramref name="now"/>; adds any fault events to <paramref name="events"/>.</summary>
    /// <param name="active">The point's new filtered state.</param>
    /// <param name="now">When the change is handled.</param>
    /// <param name="events">Receives any fault events.</param>
    /// <param name="seenAt">
    /// When the filter saw the level (the edge, or the filter timer's firing), if earlier than
    /// <paramref name="now"/>: the hold time counts from it. Null means <paramref name="now"/>.
    /// </param>
    /// <returns>True when the change goes on to the decider; false while the point is suppressed (or nothing changed).</returns>
    public bool OnChange(bool active, Moment now, ICollection<DomainEvent> events, TimeSpan? seenAt = null)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (active == Active)
        {
            return false;
        }

        var heldFor = now.Monotonic - _lastChange;
        Active = active;
        _lastChange = now.Monotonic;
        _heldSince = seenAt is { } seen && seen < now.Monotonic ? seen : now.Monotonic;
        if (Stuck)
        {
            Stuck = false;
            events.Add(new PointStuckRestored(now.Utc, _point.Id, _point.Kind, _point.Zone, active, heldFor));
        }

        if (Chattering)
        {
            // Every transition restarts the settle time (through _lastChange).
            _episodeTransitions++;
            return Forward(!Suppressed);
        }

        if (!_policy.DetectsChatter)
        {
            return Forward(true);
        }

        _recent.Enqueue(now.Monotonic);
        while (now.Monotonic - _recent.Peek() >= _policy.ChatterWindow)
        {
            _recent.Dequeue();
        }

        if (_recent.Count < _policy.ChatterTransitions)
        {
            return Forward(true);
        }

        Chattering = true;
        _episodeTransitions = _recent.Count;
        _recent.Clear();
        events.Add(new ChatterDetected(now.Utc, _point.Id, _point.Kind, _point.Zone, _episodeTransitions, _policy.ChatterWindow, Suppressed));
        return Forward(!Suppressed);
    }

    /// <summary>Notes that a change goes on to the decider (when <paramref name="forward"/>).</summary>
    private bool Forward(bool forward)
    {
        if (forward)
        {
            Decided(Active);
        }
        else if (Suppressed && Active && !_decided && AlarmsWhenActive)
        {
            _unseenActive = true;
        }

        return forward;
    }

    /// <summary>Notes the level the decider now has; an active one is an alarm it has seen.</summary>
    private void Decided(bool level)
    {
        _decided = level;
        _unseenActive &= !level;
    }

    // Inputs whose active level is an alarm the office must hear of (door forced, breach, tamper).
    private bool AlarmsWhenActive => _point.Kind is PointKind.DoorContact or PointKind.Perimeter or PointKind.Tamper or PointKind.PowerTrouble;

    /// <summary>Advances time; adds any fault events to <paramref name="events"/>.</summary>
    /// <returns>
    /// The state for the decider when a suppressed point has just settled, or has held a level the
    /// decider does not have for the hold time (the point stays suppressed); otherwise null.
    /// </returns>
    public bool? Tick(Moment now, ICollection<DomainEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        MissedActive = false;
        bool? settled = null;
        if (Chattering && now.Monotonic - _lastChange >= _policy.SettleTime)
        {
            var wasSuppressed = Suppressed;
            Chattering = false;
            events.Add(new ChatterRestored(now.Utc, _point.Id, _point.Kind, _point.Zone, Active, _episodeTransitions, _policy.SettleTime, wasSuppressed));
            _episodeTransitions = 0;
            settled = wasSuppressed ? Active : null;
            // Settled at rest with an alarm the decider never had: it gets it now, before the rest
            // (settled active, the settled level is that alarm already).
            MissedActive = _unseenActive && !Active;
            _unseenActive = false;
        }
        else if (HoldPending && now.Monotonic - _heldSince >= _policy.HoldTime)
        {
            settled = Active;
        }

        if (settled is { } level)
        {
            Decided(level);
        }

        if (_point.StuckAfter is { } stuck && !Stuck && now.Monotonic - _lastChange >= stuck)
        {
            Stuck = true;
            events.Add(new PointStuck(now.Utc, _point.Id, _point.Kind, _point.Zone, Active, stuck));
        }

        return settled;
    }
}
