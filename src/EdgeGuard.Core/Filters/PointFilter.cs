using EdgeGuard.Core.Site;

namespace EdgeGuard.Core.Filters;

/// <summary>
/// Turns raw, bouncing line levels of one point into clean logical changes.
/// Contacts use stable-for-N: a new level must hold for the point's debounce before it counts. Whether
/// it held is judged from the times passed in (edge timestamps, and the moment the controller's timer
/// fired), never from when the loop got round to it, so a late tick cannot lose a level that held.
/// Panic buttons use leading-edge: the first edge counts at once, then the filter locks out for the
/// debounce so bounce cannot produce a second event; after the lock-out it settles to the line.
/// A fire input's activation is never held by that lock-out (<see cref="PointDefinition.ActivationOverridesLockout"/>),
/// and a panic button's press only until it has held for <see cref="LockoutPressConfirm"/>.
/// </summary>
/// <remarks>
/// Mutable and single-threaded by design: only the controller loop owns filters. It is pure in the
/// sense that matters for testing: no clock, no I/O; time is passed in.
/// </remarks>
public sealed class PointFilter
{
    private readonly PointDefinition _point;
    private bool _raw;
    private TimeSpan _rawSince;
    private TimeSpan? _lockoutUntil;

    /// <summary>
    /// How long a panic button's press inside the lock-out that follows its last report must hold
    /// to count before the lock-out ends. Pushbutton contacts bounce for well under 10 ms; a press
    /// by a person lasts 100 ms and more.
    /// </summary>
    public static readonly TimeSpan LockoutPressConfirm = TimeSpan.FromMilliseconds(30);

    /// <summary>Starts the filter at a settled level read at boot; no event is produced for it.</summary>
    public PointFilter(PointDefinition point, bool settledActive, TimeSpan now)
    {
        ArgumentNullException.ThrowIfNull(point);
        _point = point;
        Active = settledActive;
        _raw = settledActive;
        _rawSince = now;
        ChangedAt = now;
    }

    /// <summary>The point this filter belongs to.</summary>
    public PointDefinition Point => _point;

    /// <summary>The filtered (reported) state.</summary>
    public bool Active { get; private set; }

    /// <summary>When <see cref="Tick"/> must next be called, or null when nothing is pending.</summary>
    public TimeSpan? NextDeadline
    {
        get
        {
            if (_lockoutUntil is { } lockout)
            {
                return ActivationDue is { } due && due < lockout ? due : lockout;
            }

            return _raw != Active && !_point.ActsOnLeadingEdge ? _rawSince + _point.Debounce : null;
        }
    }

    /// <summary>
    /// When the latest filtered change counted (monotonic): the end of a contact's debounce, a
    /// leading-edge input's report, even when the tick or edge that returned it ran later (a busy
    /// loop, or a test's clock that jumps). Input supervision times how long a level held from it.
    /// </summary>
    public TimeSpan ChangedAt { get; private set; }

    /// <summary>Feeds a raw logical level seen at <paramref name="at"/>; returns the new filtered state if it changed.</summary>
    public bool? Sample(bool active, TimeSpan at)
    {
        if (active != _raw)
        {
            // The level before this edge counts if it held, even when the tick that should have
            // reported it has not run yet (a busy loop or a late timer on a loaded machine): a
            // contact's held for the debounce up to this edge; a leading-edge input's was still
            // unreported when its lock-out ended, and is reported as of that moment, as an on-time
            // tick would have. Dropping it would turn two real changes into none.
            var held = Tick(at);
            _raw = active;
            _rawSince = at;
            if (held is not null)
            {
                return held;
            }
        }

        if (_point.ActsOnLeadingEdge && _lockoutUntil is null && _raw != Active)
        {
            return Report(at);
        }

        return Tick(at);
    }

    // When an activation inside the lock-out of a leading-edge input's last report counts anyway;
    // null when none is pending. A fire input's at its edge (PointDefinition.ActivationOverridesLockout);
    // a panic button's once it has held for LockoutPressConfirm: a guard's second press right
    // after a release was held until the lock-out ended and lost if shorter, and a keyswitch turned
    // meanwhile cleared the lockdown with the button held down. Bounce on a release is
    // milliseconds long and restarts the wait at every edge, so it never becomes a second press.
    private TimeSpan? ActivationDue =>
        _point.ActsOnLeadingEdge && _lockoutUntil is not null && _raw && !Active
            ? _point.ActivationOverridesLockout ? _rawSince : _rawSince + LockoutPressConfirm
            : null;

    /// <summary>Advances time; returns the new filtered state if it changed.</summary>
    public bool? Tick(TimeSpan now)
    {
        if (_lockoutUntil is { } lockout)
        {
            if (ActivationDue is { } due && due < lockout && now >= due)
            {
                // As of when it could count, however late this tick runs (a release reported by
                // the same edge's Sample comes first); the new lock-out runs from there.
                return Report(due);
            }

            if (now < lockout)
            {
                return null;
            }

            _lockoutUntil = null;
            // After the lock-out the button follows the line again, e.g. its release: as of the
            // moment it could first count (the lock-out's end, or the edge if that came later),
            // however late this tick runs, since that moment starts the next lock-out.
            return _raw != Active ? Report(lockout > _rawSince ? lockout : _rawSince) : null;
        }

        if (!_point.ActsOnLeadingEdge && _raw != Active && now - _rawSince >= _point.Debounce)
        {
            // As of when the debounce ended (ChangedAt); only a leading-edge input's lock-out
            // runs from the time given, so nothing else moves.
            return Report(_rawSince + _point.Debounce);
        }

        return null;
    }

    private bool Report(TimeSpan now)
    {
        Active = _raw;
        ChangedAt = now;
        if (_point.ActsOnLeadingEdge && _point.Debounce > TimeSpan.Zero)
        {
            _lockoutUntil = now + _point.Debounce;
        }

        return Active;
    }
}
