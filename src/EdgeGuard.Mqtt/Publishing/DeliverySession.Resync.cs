using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using EdgeGuard.Core;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Mqtt.Contract;

namespace EdgeGuard.Mqtt.Publishing;

// Retained state no event refreshes. The state topics are refreshed after the events that change
// them (DeliverySession.State.cs), so a change the journal cannot announce never reached them: a
// journal on read-only storage hands out no event at all, not even a lockdown (a seq handed out
// without a durable reservation could be reused), and a full one drops point changes. The office's
// retained state/lockdown said "normal" while the doors were locked, until the next reconnect.
//
// So while idle (every event sent and acknowledged, nothing else due) the pump compares, once per
// StateCheckInterval, what each topic last carried with the current state. A difference seen at
// two checks in a row, the same both times, makes that topic due, through the usual coalescing.
// One check is not enough: the controller changes the state before it hands the event over, and
// state/lockdown must follow the event that changed it; an event on its way has arrived and been
// delivered by the next check (its refresh then shows the change, and nothing is due). Nothing
// here runs per event: a publish notes what it showed in fields it sets anyway, and the check
// runs only in the idle wait, which it bounds like the cursor write (one wake-up per interval).
// A resend keeps the window busy for minutes, never idle: while one runs the check also runs on
// the pump's passes (each settles PUBACKs), when due, comparing only with no live event in flight.
//
// During a replay with a backlog (ReplayAsync) only state/lockdown is checked, on one check: an
// event journaled then waits behind the whole backlog, so the lockdown state goes ahead of its
// event (the office acts on it; a million events take minutes to replay).
internal sealed partial class DeliverySession
{
    // The lockdown payload of a state, rendered with this fixed time: equal bytes, equal message
    // apart from its ts. From the payload writer itself, so a field added there is compared too.
    private static readonly DateTimeOffset FingerprintTime = DateTimeOffset.UnixEpoch;

    // When the retained topics were last compared with the state.
    private long _stateCheckedAt;

    // A state the last check found every topic showing: while it is current, nothing has drifted.
    private SiteState? _stateShownByAll;

    // The state state/lockdown was last rendered from, and its fingerprint (made when needed).
    private SiteState? _lockdownFrom;
    private byte[]? _lockdownFingerprint;

    // Differences the last check saw (the value seen), for the next to confirm; swapped per check.
    private byte[]? _lockdownSuspect;
    private Dictionary<string, PointShown> _pointSuspects = new(StringComparer.Ordinal);
    private Dictionary<string, PointShown> _pointSuspectsNext = new(StringComparer.Ordinal);

    /// <summary>How long until the next state check; null outside the live stream.</summary>
    private TimeSpan? StateCheckDueIn() => _refreshStateAfterDelivery
        ? _options.StateCheckInterval - _time.GetElapsedTime(_stateCheckedAt)
        : null;

    /// <summary>
    /// Idle and streaming, or busy with a resend: when the check is due, compares the retained
    /// topics with the current state and makes those due that were out of date, the same way, at
    /// the previous check too. True when it made one due (the pump then publishes it first).
    /// </summary>
    private bool CheckStateShown()
    {
        if (StateCheckDueIn() is not { } dueIn || dueIn > TimeSpan.Zero)
        {
            return false;
        }

        _stateCheckedAt = _time.GetTimestamp();
        var unheardDue = CheckUnheardShown(); // the delivery episode's, not the site's: no state needed
        unheardDue |= CheckJournalStallShown(); // the journal's, read beside it, not through it
        if (_state.Current is not { } current || _sent < _outbox.LastSeq || _sent > _acked || _retryingRefused)
        {
            // No state yet, or an event is coming, in flight beside a resend, or held back: it may
            // refresh the state.
            return unheardDue;
        }

        _stats.StateChecked();
        if (ReferenceEquals(current, _stateShownByAll))
        {
            return unheardDue;
        }

        var shownByAll = true;
        var due = CheckLockdownShown(current, ref shownByAll);
        due |= CheckPointsShown(current, ref shownByAll);
        _stateShownByAll = shownByAll ? current : null;
        return due || unheardDue;
    }

    private bool CheckLockdownShown(SiteState current, ref bool shownByAll)
    {
        if (_pendingLockdown)
        {
            shownByAll = false; // its publish, due already, reads the state then
            return false;
        }

        if (LockdownShows(current, out var now))
        {
            _lockdownSuspect = null;
            return false;
        }

        shownByAll = false;
        if (StateRetryNotDue(_topics.LockdownState))
        {
            return false; // refused: sent again once its backoff has passed
        }

        if (_lockdownSuspect is not null && _lockdownSuspect.AsSpan().SequenceEqual(now))
        {
            _lockdownSuspect = null;
            _pendingLockdown = true;
            _stats.StateResynced();
            LogLockdownResynced(_topics.LockdownState);
            return true;
        }

        _lockdownSuspect = now;
        return false;
    }

    // A replay with a backlog is running (ReplayAsync): state/lockdown goes ahead of it.
    private bool _lockdownAheadOfReplay;

    /// <summary>
    /// During a replay with a backlog: state/lockdown goes out first, as soon as the site's state
    /// exists, and then, once per StateCheckInterval, again whenever it no longer shows the site.
    /// An event journaled meanwhile waits behind the whole backlog; the office must not wait that
    /// long to learn that the site is locked down (a million events took 103 s on the bench's
    /// machine, docs/PERFORMANCE.md). One check is enough here: the event cannot go first, so
    /// there is nothing to wait for.
    /// </summary>
    private void CheckLockdownDuringReplay()
    {
        if (_pendingLockdown || _state.Current is not { } current || StateRetryNotDue(_topics.LockdownState))
        {
            return;
        }

        if (_lockdownFrom is null)
        {
            _pendingLockdown = true; // not sent in this session yet: the first goes ahead of the backlog
            return;
        }

        if (_time.GetElapsedTime(_stateCheckedAt) < _options.StateCheckInterval)
        {
            return;
        }

        _stateCheckedAt = _time.GetTimestamp();
        if (!LockdownShows(current, out _))
        {
            _pendingLockdown = true;
            _stats.SentLockdownAhead();
            LogLockdownSentAhead(_topics.LockdownState, string.Create(CultureInfo.InvariantCulture, $"{_replayThrough - _sent} events are replayed"));
        }
    }

    /// <summary>
    /// Waits out the backoff after the broker refused the event at the head, keeping state/lockdown
    /// current meanwhile: every event behind the refused one waits (the events of a lockdown among
    /// them), possibly for good, if the broker never takes it. Checked at the end of each slice of
    /// at most StateCheckInterval; one check, since no event can go first.
    /// </summary>
    private async Task WaitOutRefusalAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        while (delay - _time.GetElapsedTime(started) is var left && left > TimeSpan.Zero)
        {
            // Rounded up: a timer drops the part under a millisecond, so with less than 1 ms left
            // the delay completed at once and this loop spun until the clock passed the backoff (a
            // jittered backoff nearly always ends in a fraction of a millisecond). On a test's fake
            // clock, which does not move while the loop runs, it never returned.
            var slice = left < _options.StateCheckInterval ? TimerDelay.Until(left) : _options.StateCheckInterval;
            await Task.Delay(slice, _time, cancellationToken).ConfigureAwait(false);
            if (_state.Current is not { } current)
            {
                continue;
            }

            // Due already: a state publish the refusal abandoned (RequeueState), sent again as it was.
            var changed = !LockdownShows(current, out _);
            if ((!changed || StateRetryNotDue(_topics.LockdownState)) && !_pendingLockdown)
            {
                continue; // nothing to show, or refused and its backoff not passed yet
            }

            if (_window.IsFull)
            {
                _pendingLockdown = true; // a change every slice, none acknowledged yet: first after the wait
                continue;
            }

            _pendingLockdown = false;
            PublishState(InFlightKind.LockdownState, null);
            if (changed)
            {
                _stats.SentLockdownAhead();
                LogLockdownSentAhead(_topics.LockdownState, "the broker refuses the event at the head of the outbox");
            }
        }
    }

    private bool CheckPointsShown(SiteState current, ref bool shownByAll)
    {
        var due = false;
        _pointSuspectsNext.Clear();
        foreach (var point in current.Points.Keys)
        {
            if (_pendingPoints.Contains(point) || _deferredPoints.Contains(point))
            {
                shownByAll = false; // its refresh, due already, reads the state then
                continue;
            }

            var shown = PointShown.Of(current, point);
            if ((_pointPublished.TryGetValue(point, out var published) && published.Shown == shown) || !Topics.IsValidLevel(point))
            {
                continue;
            }

            shownByAll = false;
            if (PointRetryNotDue(point))
            {
                continue; // refused: sent again once its backoff has passed
            }

            if (_pointSuspects.TryGetValue(point, out var suspect) && suspect == shown)
            {
                RefreshPoint(point); // coalesced as after an event: at most once per StateRefreshInterval
                _stats.StateResynced();
                LogPointResynced(_topics.PointState(point));
                due = true;
            }
            else
            {
                _pointSuspectsNext[point] = shown;
            }
        }

        (_pointSuspects, _pointSuspectsNext) = (_pointSuspectsNext, _pointSuspects);
        return due;
    }

    /// <summary>
    /// Whether state/lockdown, as last published, shows <paramref name="current"/>; otherwise
    /// <paramref name="now"/> is what it would show.
    /// </summary>
    private bool LockdownShows(SiteState current, [NotNullWhen(false)] out byte[]? now)
    {
        now = null;
        if (ReferenceEquals(current, _lockdownFrom))
        {
            return true;
        }

        now = Payloads.LockdownState(current, _topics, FingerprintTime);
        if (_lockdownFrom is not null && (_lockdownFingerprint ??= Payloads.LockdownState(_lockdownFrom, _topics, FingerprintTime)).AsSpan().SequenceEqual(now))
        {
            // A newer state showing the same: no rendering at the next check while it is current.
            (_lockdownFrom, _lockdownFingerprint) = (current, now);
            return true;
        }

        return false;
    }

    /// <summary>Called by every publish of state/lockdown: it shows this state now.</summary>
    private void LockdownPublishedFrom(SiteState state)
    {
        (_lockdownFrom, _lockdownFingerprint, _lockdownSuspect) = (state, null, null);
    }

    /// <summary>Called by every publish of a point's state: a difference seen is void.</summary>
    private void ForgetPointSuspect(string point)
    {
        if (_pointSuspects.Count != 0)
        {
            _pointSuspects.Remove(point);
        }
    }

    /// <summary>What a point's retained state shows besides ids and time.</summary>
    /// <param name="Active">Whether the point is (filtered) active.</param>
    /// <param name="BypassedUntil">When the office's bypass ends; null when in service.</param>
    private readonly record struct PointShown(bool Active, DateTimeOffset? BypassedUntil)
    {
        public static PointShown Of(SiteState state, string point) =>
            new(state.IsActive(point), state.Bypasses.GetValueOrDefault(point)?.Grant.Until);
    }
}
