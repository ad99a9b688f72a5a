using System.Collections.Immutable;
using System.Globalization;
using EdgeGuard.Core;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Journal;
using Microsoft.Extensions.Logging;

namespace EdgeGuard.Controller;

// Reading the saved safety state at boot. A state that cannot be read (a damaged row) or is not
// read in time (a hung SD card) used to fail the start before any output was opened: systemd
// restarted the gateway forever, and no input was ever decided (a panic locked nothing, a fire
// released no egress). Now the gateway boots in the initial state, decides its inputs as usual,
// and journals fault.safety-state-unreadable so the office can re-issue a lockdown it lost. If the
// state is read after all once the boot gave up on it, a lockdown it held is put back in force
// ("lockdown state survives power loss", on a card that answered in 6 s instead of 5), merged
// with everything else decided since, unless a scenario decided since the boot stands over it;
// or else reported with what it held (LateLoadEnded). What the site decided since the boot, which
// keeps parts of a late read from being put back, is noted in SiteController.SinceBoot.cs.
public sealed partial class SiteController
{
    /// <summary>
    /// The boot gave up on a load still running, so a late read may come (<see cref="LateLoadEnded"/>).
    /// Only then does a decision need noting (<see cref="NoteDecidedSinceBoot"/>): on a boot that read
    /// its state in time, every decision would compare states for a read that never comes.
    /// </summary>
    private bool _lateReadPending;

    /// <summary>
    /// What <see cref="BootLoadDeadline"/> allows beyond <see cref="SqliteSafetyStateStore.MaxSaveWait"/>:
    /// one small row, from a card that may just have come back from a power cut (cold cache).
    /// Milliseconds on a healthy card; four seconds is far beyond a slow one.
    /// </summary>
    public static readonly TimeSpan BootLoadMargin = TimeSpan.FromSeconds(4);

    /// <summary>
    /// How long the boot waits for the saved safety state before it boots without it: 5 s, the
    /// store's longest save wait (<see cref="SqliteSafetyStateStore.MaxSaveWait"/>, 1 s) and
    /// <see cref="BootLoadMargin"/>. The read itself is not bounded by MaxSaveWait: it waits for
    /// the journal's other users of its connection as long as they hold it (milliseconds; seconds
    /// on a dying card), and for another process's lock at most
    /// <see cref="SqliteSafetyStateStore.LoadBusyTimeout"/> (250 ms) a try, tried again within
    /// this bound, so a lock held for a second or two is waited out. Generous, because giving up
    /// drops a lockdown in force before the restart; and cheap, because after a power cut the
    /// outputs were undriven through the whole OS boot (tens of seconds) already. After a service
    /// restart they are not: a kernel that keeps released lines at their level holds the previous
    /// run's levels through the wait, an energised egress maglock too, so a fire input read active
    /// before or during the load releases the native egress locks at once
    /// (SiteController.FireAtBoot.cs).
    /// Far inside systemd's TimeoutStartSec=90s, so a hung card no longer holds the start until
    /// systemd kills it, with every output undriven.
    /// </summary>
    public static readonly TimeSpan BootLoadDeadline = SqliteSafetyStateStore.MaxSaveWait + BootLoadMargin;

    /// <summary>
    /// Loads the saved safety state on the saver's thread, waiting at most
    /// <see cref="BootLoadDeadline"/>. A failure that may pass (the database busy, an I/O error:
    /// <see cref="SqliteSafetyStateStore.IsPassingLoadFailure"/>) is tried again within it; a
    /// damaged row is final at once. A load still running then goes on alone, and no save starts
    /// until it ended (SafetyStateSaver): the first decision that saves waits behind it like
    /// behind a hung save. What it reads when it ends is put back in force, or reported, by
    /// <see cref="LateLoadEnded"/>.
    /// </summary>
    /// <returns>
    /// The state to boot from, and null; or the initial state and what was wrong with the saved
    /// one.
    /// </returns>
    private async Task<(SafetyState Safety, string? Unreadable)> LoadSafetyStateAsync(CancellationToken cancellationToken)
    {
        var load = await _saver.LoadAsync(BootLoadDeadline, SqliteSafetyStateStore.IsPassingLoadFailure, cancellationToken).ConfigureAwait(false);
        _lateReadPending = load.TimedOut;
        if (load.Loaded is { } loaded)
        {
            return (loaded, null);
        }

        var problem = load switch
        {
            // Tried again (or still being tried) until the bound: a failure that did not pass.
            { Failure: { } failure } when load.Tries > 1 || load.TimedOut => string.Create(CultureInfo.InvariantCulture,
                $"The saved safety state could not be read within {BootLoadDeadline.TotalSeconds:0} s ({load.Tries} tries): {failure.Message}"),
            { Failure: { } failure } => $"The saved safety state could not be read: {failure.Message}",
            _ => string.Create(CultureInfo.InvariantCulture,
                $"The saved safety state was not read within {BootLoadDeadline.TotalSeconds:0} s (the disk did not answer)"),
        };
        LogUnreadable(problem);
        return (SafetyState.Initial, problem);
    }

    /// <summary>
    /// The boot's load, given up on, has ended (on the loop, from OnAbandonedSaveEnded). A state
    /// other than the initial one was in force before the restart, and the next save overwrites
    /// its row. A scenario it held is put back in force, merged with what the site decided since
    /// the boot, unless a scenario decided since stands over it (<see cref="NotReapplied"/>,
    /// <see cref="Reapply"/>); otherwise the office is told what it held, so it re-issues it,
    /// instead of only that one "may have been lost".
    /// </summary>
    private void LateLoadEnded(SafetyState? loaded, Exception? failure, TimeSpan took, Moment now, List<DomainEvent> events)
    {
        _lateReadPending = false;
        if (loaded is null)
        {
            LogLateLoadFailed(took.TotalMilliseconds, failure?.Message);
            return;
        }

        LogLateLoadRead(took.TotalMilliseconds, loaded.Mode, loaded.Lockdown?.Cause, loaded.Lockdown?.Since, loaded.LifeSafety);
        // The record of breached perimeter points alone is nothing to report or put back: the
        // settle judged the points it found active without it (a breach already raised may have
        // been raised again), and the points' own events have told the office. The same for the
        // record of held panic buttons (a silent hold-up held in normal mode), and of raised fire
        // inputs (saved only with a release, which is something to put back).
        if ((loaded with { Breaches = null, BreachesUnrecorded = false, HeldPanics = null, FireRaised = null }).Equals(SafetyState.Initial))
        {
            return;
        }

        var late = string.Create(CultureInfo.InvariantCulture,
            $"The saved safety state was read late (after {took.TotalSeconds:0.0} s, past the {BootLoadDeadline.TotalSeconds:0} s boot bound)");
        var held = Held(loaded);
        var notApplied = NotReapplied(loaded);
        var fire = FireReleaseToReapply(loaded);
        var doors = DelayedEgressToReapply(loaded, now);
        // A real scenario read late takes over from a drill started since, as a real start does.
        var replacesDrill = notApplied is null && _state.Lockdown is { Drill: true } && !loaded.Lockdown!.Drill;
        if (notApplied is null)
        {
            Reapply(loaded, fire, doors, now, events);
        }
        else
        {
            LogLateLoadNotApplied(notApplied);
            if (fire || doors is not null)
            {
                ReapplyReleases(fire ? FireRaisedOf(loaded) : null, doors, now, events);
            }

            // Not in force, as the fault says: the state the site is in is saved over it, handed on
            // as a change of the boot's records is. When nothing had changed since the boot nothing
            // was saved, the row kept it (a threat level, a bypass), and the next boot brought it
            // back in force.
            _safetySaveDueAt ??= now.Monotonic + SafetySaveRetryInterval;
        }

        var outcome = notApplied is null
            ? replacesDrill ? " and re-applied (it replaces the drill started since the boot, as a real start does)" : " and re-applied"
            : $" and not applied ({notApplied})";
        var fireText = fire ? " Its fire release is in force again: egress released until a fire reset." : string.Empty;
        var doorText = doors is not null ? " Its delayed-egress door releases are in force again, until relocked by key." : string.Empty;
        events.Add(new SafetyStateUnreadable(now.Utc, $"{late}{outcome}: it held {held}.{fireText}{doorText}")
        {
            ReadLate = true,
            Reapplied = notApplied is null,
            HeldScenario = loaded.Mode != SiteMode.Normal,
            FireReleaseReapplied = fire,
            NotRestored = NotRestored(loaded, _state.Safety),
        });
    }

    /// <summary>
    /// Whether a late read's fire release is put back in force: whenever it held one and the site
    /// has neither released egress itself nor had a fire reset since the boot. A boot restores a
    /// saved release (it stays latched until the fire reset, the panel's input may have gone
    /// quiet since); releasing egress is always the life-safe direction and beats any scenario,
    /// as a live fire does, so it is put back over whatever the site decided since, unlike a
    /// scenario. Not after a reset since: that ended the release the read holds.
    /// </summary>
    private bool FireReleaseToReapply(SafetyState loaded) =>
        loaded.LifeSafety == LifeSafety.FireEgressReleased && !_egressDecidedSinceBoot
        && _state.LifeSafety != LifeSafety.FireEgressReleased;

    /// <summary>
    /// A late read's record of the fire inputs raised under its release, as the boot restores it
    /// (<see cref="SiteState.Restore"/>), put back with the release. Only then: no fire input was
    /// found active at the settle (it would have released egress itself), so none raised since.
    /// </summary>
    private ImmutableSortedSet<string> FireRaisedOf(SafetyState loaded) => loaded.FireRaisedIn(site);

    /// <summary>
    /// The doors with a late read's delayed-egress release merged in, or null when that changes
    /// none. Delayed egress is irreversible by code and a power cut must not undo it
    /// (docs/architecture.md), so, like a fire release, it is put back over whatever the site
    /// decided since: a door it had latched open is released until relocked, one it was counting
    /// for counts again in full (as <see cref="SiteState.Restore"/> does). Not a latched release of
    /// a door a relock key was turned at since the boot: a person relocked it then, which is the
    /// one way back. A count is put back all the same: a key turned during it relocks nothing
    /// (DoorSupervision: the release comes, then the key); unless the door was released since the
    /// boot and a key relocked it: the door was let open, and locked again by hand.
    /// </summary>
    private ImmutableSortedDictionary<string, DoorState>? DelayedEgressToReapply(SafetyState loaded, Moment now)
    {
        var doors = _state.Doors;
        foreach (var (doorId, release) in loaded.ReleasedDoors)
        {
            if (release is not (DoorRelease.DelayedEgressReleased or DoorRelease.DelayedEgressCounting)
                || (release == DoorRelease.DelayedEgressReleased ? _relockedSinceBoot : _releaseRelockedSinceBoot)?.Contains(doorId) == true
                || site.DoorList.FirstOrDefault(d => d.Id == doorId) is not { DelayedEgress: { } delay })
            {
                continue;
            }

            var current = doors.GetValueOrDefault(doorId) ?? DoorState.Quiet;
            var merged = release == DoorRelease.DelayedEgressReleased
                ? current with { EgressLatched = true, DelayedEgressUntil = null }
                : current.EgressLatched || current.DelayedEgressUntil is not null ? current
                : current with { DelayedEgressUntil = now.Monotonic + delay };
            if (merged != current)
            {
                doors = doors.SetItem(doorId, merged);
            }
        }

        return ReferenceEquals(doors, _state.Doors) ? null : doors;
    }

    // The loaded doors, each keeping what the lock monitoring found so far (not saved): replaced, a
    // lock fault raised since the boot was raised again, or never restored.
    private ImmutableSortedDictionary<string, DoorState> WithLockJudgement(ImmutableSortedDictionary<string, DoorState> loaded)
    {
        var doors = loaded;
        foreach (var (id, door) in _state.Doors)
        {
            if (door.LockMismatch is not null || door.LockFault is not null || door.Access is not null)
            {
                // An office open-door too: OfficeDoorAccess.Follow, after the re-apply, ends it with
                // an event if the state put back no longer honours it, rather than dropping it unsaid.
                var into = doors.GetValueOrDefault(id) ?? DoorState.Quiet;
                doors = doors.SetItem(id, into with
                {
                    LockMismatch = door.LockMismatch, LockMismatchDue = door.LockMismatchDue, LockFault = door.LockFault, LockFaultCritical = door.LockFaultCritical,
                    Access = door.Access,
                });
            }
        }

        return doors;
    }

    /// <summary>
    /// Puts a late read's releases in force over what runs now (its fire release, with its record
    /// of raised inputs, when <paramref name="fireRaised"/> is that record; its delayed-egress
    /// doors when <paramref name="doors"/>): saved, then driven (<see cref="Reconcile"/> drives egress first, as every decision does).
    /// </summary>
    private void ReapplyReleases(ImmutableSortedSet<string>? fireRaised, ImmutableSortedDictionary<string, DoorState>? doors, Moment now, List<DomainEvent> events)
    {
        var fire = fireRaised is not null;
        _state = _state with
        {
            LifeSafety = fire ? LifeSafety.FireEgressReleased : _state.LifeSafety,
            // Its record comes back with it: the inputs it names raised before the restart.
            FireRaised = fireRaised ?? _state.FireRaised,
            Doors = doors is null ? _state.Doors : WithLockJudgement(doors),
        };
        _egressDecidedSinceBoot |= fire;
        _decisions++;
        _safety = _state.Safety;
        Persist(now, events, SafetySaveDeadline);
        _state = OfficeDoorAccess.Follow(site, _state, now, events); // a grant the state put back does not honour ends
        _state = LockMonitoring.Judge(site, _state, now, events); // what the locks should do changed
        Reconcile(now, events);
        LogReleasesReapplied(fire, doors is not null, OutputPlan.For(site, _state).ToString());
    }

    /// <summary>
    /// Why a late read's scenario is not put back in force, or null when it is. One rule, the
    /// decider's own: a scenario decided since the boot stands over the older one read late when
    /// it is at least as real (<see cref="_scenarioSinceBoot"/>). A real one always does: the state
    /// since was decided from the inputs and the office and announced to both (a panic's lockdown,
    /// a guard's all-clear), a read from before the restart is older than any of it, and no rule
    /// merges a saved scenario under a newer one (the decider suspends only what a trigger asks for
    /// now, ranked against what runs; the report lets the office decide). A drill stands only over
    /// a drill: a real scenario replaces a drill and a drill never masks one
    /// (<see cref="Transitions"/>), so a real one read late takes over from a drill started since,
    /// as a real start would. Everything else decided since is no decision about a scenario and
    /// is merged (<see cref="Reapply"/>): a fire's release or reset, a threat level, a bypass, a
    /// forced door; as is a command that decided nothing. A save since the boot is no reason: none
    /// reaches the row until this runs (SafetyStateSaver holds them back behind the load and then
    /// until its read is taken).
    /// </summary>
    private string? NotReapplied(SafetyState loaded) =>
        loaded.Mode == SiteMode.Normal || loaded.Lockdown is not { } held ? "it held no scenario to put back"
        : _scenarioSinceBoot >= (held.Drill ? ScenarioDecision.Drill : ScenarioDecision.Real)
            ? (_scenarioSinceBoot == ScenarioDecision.Real
                ? "a real scenario was started, ended, suspended or resumed since the boot: that stands"
                : "a drill was started or ended since the boot: that stands")
        : null;

    /// <summary>
    /// Puts a late read's scenario in force as a boot restores it (<see cref="SiteState.Restore"/>):
    /// its mode and scenario, a siren that sounded at the power cut sounding again for its full
    /// time, the scenarios it had suspended, its fire release when <paramref name="fire"/>
    /// (<see cref="FireReleaseToReapply"/>) and its delayed-egress doors when
    /// <paramref name="doors"/> (<see cref="DelayedEgressToReapply"/>). It replaces a drill
    /// started since, the drill's siren and approvals with it, as a real start does. The rest
    /// stays as decided since the boot: the points and the other door state as the inputs left
    /// them, a fire release (or its reset) as the fire inputs and the reset key did, the threat
    /// level and bypasses as a key or the office set them (the fault names what it held of them).
    /// The siren is the scenario's own: sounding again if it sounded at the power cut, whatever a
    /// drill's siren did since. Approvals given before count for nothing.
    /// The office is told as at a boot that restored it: <c>gateway.started</c> with the
    /// restored mode, after which <c>state/lockdown</c> is republished. The row holds the read
    /// already; it is saved only if what is in force now differs from it.
    /// </summary>
    private void Reapply(SafetyState loaded, bool fire, ImmutableSortedDictionary<string, DoorState>? doors, Moment now, List<DomainEvent> events)
    {
        var restored = SiteState.Restore(site, loaded, _state.Points, now);
        _state = _state with
        {
            Mode = restored.Mode,
            Lockdown = restored.Lockdown,
            SirenUntil = restored.SirenUntil,
            SirenSince = restored.SirenSince,
            Suspended = restored.Suspended,
            AllClearApprovals = null,
            // Put in force now: an all-clear signed before it did not weigh it (see Restore).
            ApprovalsValidFrom = restored.ApprovalsValidFrom,
            LifeSafety = fire ? LifeSafety.FireEgressReleased : _state.LifeSafety,
            FireRaised = fire ? restored.FireRaised : _state.FireRaised,
            Doors = doors is null ? _state.Doors : WithLockJudgement(doors),
        };
        _egressDecidedSinceBoot |= fire;
        _decisions++;
        _safety = _state.Safety;
        events.Add(GatewayStarted.Restoring(now.Utc, _safety) with { Reapplied = true });
        if (!_safety.Equals(loaded))
        {
            // Before the outputs, as every decision: durable before effect.
            Persist(now, events, SafetySaveDeadline);
        }

        _state = OfficeDoorAccess.Follow(site, _state, now, events); // a grant the state put back does not honour ends
        _state = LockMonitoring.Judge(site, _state, now, events); // what the locks should do changed
        Reconcile(now, events);
        LogReapplied(_safety.Mode, _safety.Lockdown?.Cause, OutputPlan.For(site, _state).ToString());
    }

    [LoggerMessage(EventId = 6, Level = LogLevel.Critical, Message = "Booting in normal mode (outputs at that plan, inputs decided as usual); a lockdown in force before the restart may have been lost (fault.safety-state-unreadable). {Problem}")]
    private partial void LogUnreadable(string problem);

    [LoggerMessage(EventId = 7, Level = LogLevel.Warning, Message = "The boot's read of the safety state ended after {TookMs} ms, after the gateway booted without it: it held mode={Mode} cause={Cause} since={Since} lifeSafety={LifeSafety}")]
    private partial void LogLateLoadRead(double tookMs, SiteMode mode, string? cause, DateTimeOffset? since, LifeSafety lifeSafety);

    [LoggerMessage(EventId = 8, Level = LogLevel.Warning, Message = "The boot's read of the safety state ended after {TookMs} ms, after the gateway booted without it; it failed too: {Failure}")]
    private partial void LogLateLoadFailed(double tookMs, string? failure);

    [LoggerMessage(EventId = 11, Level = LogLevel.Critical, Message = "The safety state read late is re-applied (no scenario decided since the boot stands over it): mode={Mode} cause={Cause}; outputs driven to plan {Plan}")]
    private partial void LogReapplied(SiteMode mode, string? cause, string plan);

    [LoggerMessage(EventId = 12, Level = LogLevel.Warning, Message = "The safety state read late is not applied: {Why}")]
    private partial void LogLateLoadNotApplied(string why);

    [LoggerMessage(EventId = 13, Level = LogLevel.Critical, Message = "Releases read late are re-applied (fire release: {Fire}, delayed-egress doors: {Doors}); outputs driven to plan {Plan}")]
    private partial void LogReleasesReapplied(bool fire, bool doors, string plan);
}
