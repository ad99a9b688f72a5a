using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Controller;

// What the site decided since the boot, noted while a late read of the saved safety state may
// come (SiteController.Boot.cs): the scenario decisions, egress released or reset, and doors
// relocked by key, each of which keeps that part of the late read from being put back.
public sealed partial class SiteController
{
    /// <summary>
    /// The weightiest scenario decision since the boot: none, a drill started or ended, or a real
    /// scenario started (over a drill too), retriggered, ended, suspended or resumed.
    /// </summary>
    private enum ScenarioDecision
    {
        None,
        Drill,
        Real,
    }

    /// <summary>
    /// The scenario decisions the site made since the boot, while a late read may come
    /// (<see cref="NoteDecidedSinceBoot"/>): what decides whether its scenario is put back
    /// (<see cref="NotReapplied"/>). Only grows.
    /// </summary>
    private ScenarioDecision _scenarioSinceBoot;

    /// <summary>
    /// A decision since the boot released egress or reset the fire release: a late read's fire
    /// release is not put back over it (<see cref="FireReleaseToReapply"/>). Set once, never cleared.
    /// </summary>
    private bool _egressDecidedSinceBoot;

    /// <summary>
    /// Doors a relock keyswitch was turned at since the boot, while a late read may come: a
    /// delayed-egress release it holds for them is not put back
    /// (<see cref="DelayedEgressToReapply"/>).
    /// </summary>
    private HashSet<string>? _relockedSinceBoot;

    /// <summary>
    /// Doors whose release a relock key relocked since the boot (<see cref="DoorRelocked"/>), while
    /// a late read may come: a delayed-egress count it holds for them is not put back either
    /// (<see cref="DelayedEgressToReapply"/>). A key turned during a count relocks nothing, but one
    /// that relocked a release since: the door was let open and locked again by hand.
    /// </summary>
    private HashSet<string>? _releaseRelockedSinceBoot;

    /// <summary>
    /// Notes what a decision decided while a late read may come: a scenario decision
    /// (<see cref="_scenarioSinceBoot"/>), after which a late read's scenario may not be put back;
    /// egress decided (released or reset), after which its fire release is not put back; and doors
    /// relocked by key, whose delayed egress it holds is not put back. <paramref name="decided"/>
    /// is the decision's safety state, compared with the one in force.
    /// </summary>
    private void NoteDecidedSinceBoot(SiteInput input, Decision decision, SafetyState decided)
    {
        if (!_lateReadPending)
        {
            return;
        }

        var before = _state;
        var after = decision.State;
        _egressDecidedSinceBoot |= after.LifeSafety != before.LifeSafety || decision.Events.Any(e => e is FireReset);
        if (input is PointChanged { Active: true, PointId: var turned })
        {
            // The key turned, whether or not this gateway knew the door released: the person
            // there meant it locked.
            foreach (var door in site.DoorList.Where(d => d.Relock.Contains(turned, StringComparer.Ordinal)))
            {
                (_relockedSinceBoot ??= new HashSet<string>(StringComparer.Ordinal)).Add(door.Id);
            }
        }

        foreach (var relocked in decision.Events.OfType<DoorRelocked>())
        {
            (_releaseRelockedSinceBoot ??= new HashSet<string>(StringComparer.Ordinal)).Add(relocked.DoorId);
        }

        // By what the decision changed, not by what asked for it: an office command answered
        // done may decide nothing (a rebirth, an acknowledgement of the boot's own fault). The
        // site booted with no scenario, so a real retrigger or a refusal kept suspended comes
        // after a real start this noted already.
        var kind = !RealScenarioOf(decided).Equals(RealScenarioOf(_safety)) ? ScenarioDecision.Real
            : !ScenarioOf(decided).Equals(ScenarioOf(_safety)) ? ScenarioDecision.Drill
            : ScenarioDecision.None;
        _scenarioSinceBoot = kind > _scenarioSinceBoot ? kind : _scenarioSinceBoot;
    }

    /// <summary>
    /// The scenario part of a safety state: its mode, the scenario running (a drill or real) and
    /// those it suspended. Not its siren: a siren silenced or timed out ends no scenario.
    /// </summary>
    private static SafetyState ScenarioOf(SafetyState state) =>
        new(state.Mode, state.Lockdown, SirenSounding: false, Suspensions: state.Suspensions);

    /// <summary>
    /// <see cref="ScenarioOf"/> without a drill: only the real scenarios (a drill suspends none).
    /// </summary>
    private static SafetyState RealScenarioOf(SafetyState state) =>
        state.Lockdown is { Drill: true } ? new(SiteMode.Normal, null, SirenSounding: false, Suspensions: state.Suspensions) : ScenarioOf(state);
}
