using System.Collections.Immutable;
using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Core.Tests;

/// <summary>
/// Any takeover of a real scenario by a guard's office command, not only an evacuation: it is
/// refused when it would release a lock the running scenario keeps locked, as the output plan
/// computes it. A takeover suspends the real scenario it replaces and keeps its locks, so what is
/// left to refuse is an evacuation's release of the escape routes (and a door it would unlatch).
/// </summary>
public sealed class OfficeTakeoverLockTests
{
    // The built-in lockdown covers every zone here: it locks lock-egress (a), lock-entry (b,
    // normally locked anyway) and lock-c (c). Every other scenario outranks it.
    private static readonly SiteDefinition Site = TestSite.Create() with
    {
        ExtraScenarios =
        [
            new("evacuate", SiteMode.Evacuation, [], 200, ["key-evac"], [], ["key-a"], TestSite.Siren),
            new("lockdown-b", SiteMode.Lockdown, ["b"], 150, [], [], ["key-a"], TestSite.Siren),
            new("lockdown-ac", SiteMode.Lockdown, ["a", "c"], 160, [], [], ["key-a"], TestSite.Siren),
            new("shelter-b", SiteMode.ShelterInPlace, ["b"], 170, ["key-shelter"], [], ["key-a"], TestSite.Siren),
            new("lockdown-all", SiteMode.Lockdown, [], 180, [], [], ["key-a"], TestSite.Siren),
        ],
    };


    private static SiteState Quiet(SiteDefinition? site = null) =>
        SiteState.Restore(site ?? Site, SafetyState.Initial, ImmutableDictionary<string, bool>.Empty, TestSite.At(0));

    private static VerifiedCommand Command(CommandType type, OperatorRole role, string scenario) =>
        TestSite.Command(type, role == OperatorRole.Supervisor ? "sup-1" : "guard-7", role, ("scenario", new JsonStringItem(scenario)));

    private static Decision Run(SiteState state, VerifiedCommand command, double at, SiteDefinition? site = null) =>
        SiteDecider.Decide(site ?? Site, state, new OfficeCommandInput(command), TestSite.At(at));

    private static Decision Press(SiteState state, string point, double at, SiteDefinition? site = null) =>
        SiteDecider.Decide(site ?? Site, state, new PointChanged(point, true), TestSite.At(at));

    private static bool Locked(SiteState state, string lockId, SiteDefinition? site = null) =>
        OutputPlan.For(site ?? Site, state).IsActive(lockId);

    private static string Refusal(Decision decision) =>
        Assert.IsType<CommandRefused>(Assert.Single(decision.Events)).Reason;

    [Fact]
    public void A_guards_zone_limited_lockdown_over_a_site_wide_real_lockdown_takes_over_and_keeps_every_lock()
    {
        // It used to release every lock outside zone b, and was refused to guards for that; the
        // lockdown it takes over is suspended now, and its locks hold (SuspendedScenarioTests).
        var lockdown = Press(Quiet(), "panic-a", 1).State;
        Assert.True(Locked(lockdown, "lock-c") && Locked(lockdown, "lock-egress"));

        var scoped = Run(lockdown, Command(CommandType.Lockdown, OperatorRole.Guard, "lockdown-b"), 2);

        Assert.Equal("lockdown-b", scoped.State.Lockdown!.Scenario);
        Assert.IsType<CommandDone>(scoped.Events[^1]);
        Assert.All(["lock-egress", "lock-entry", "lock-c"], id => Assert.True(Locked(scoped.State, id), id));
        Assert.Equal("lockdown", Assert.Single(scoped.State.Suspended).Info.Scenario);
    }

    [Fact]
    public void The_refusal_names_the_first_three_locks_and_counts_the_rest()
    {
        var site = Site with
        {
            Outputs =
            [
                .. Site.Outputs,
                new("lock-a2", OutputKind.Lock, 24, ActiveHigh: true, "a", LockFailMode.FailSafe, Egress: true),
                new("lock-c2", OutputKind.Lock, 25, ActiveHigh: true, "c", LockFailMode.FailSafe, Egress: true),
            ],
        };
        var lockdown = Press(Quiet(site), "panic-a", 1, site).State;

        var evacuate = Run(lockdown, Command(CommandType.Evacuate, OperatorRole.Guard, "evacuate"), 2, site);

        Assert.Contains(
            "which releases locks 'lock-egress', 'lock-a2', 'lock-c2';", Refusal(evacuate), StringComparison.Ordinal);
        var site4 = site with
        {
            Outputs = [.. site.Outputs, new("lock-c3", OutputKind.Lock, 26, ActiveHigh: true, "c", LockFailMode.FailSafe, Egress: true)],
        };
        var lockdown4 = Press(Quiet(site4), "panic-a", 1, site4).State;
        Assert.Contains(
            "which releases locks 'lock-egress', 'lock-a2', 'lock-c2' and 1 more;",
            Refusal(Run(lockdown4, Command(CommandType.Evacuate, OperatorRole.Guard, "evacuate"), 2, site4)),
            StringComparison.Ordinal);
    }

    [Fact]
    public void A_guards_zone_limited_lockdown_that_releases_no_lock_takes_over()
    {
        // Zone b is outside lockdown-ac, but its only lock is normally locked: it stays locked.
        var lockdown = Press(Quiet(), "panic-a", 1).State;

        var scoped = Run(lockdown, Command(CommandType.Lockdown, OperatorRole.Guard, "lockdown-ac"), 2);

        Assert.Equal((SiteMode.Lockdown, "lockdown-ac"), (scoped.State.Mode, scoped.State.Lockdown!.Scenario));
        Assert.IsType<CommandDone>(scoped.Events[^1]);
        Assert.All(["lock-egress", "lock-entry", "lock-c"], id => Assert.True(Locked(scoped.State, id), id));
    }

    [Fact]
    public void A_guards_shelter_in_place_over_a_real_lockdown_takes_over_and_keeps_every_lock()
    {
        var lockdown = Press(Quiet(), "panic-b", 1).State;

        var shelter = Run(lockdown, Command(CommandType.Shelter, OperatorRole.Guard, "shelter-b"), 2);

        Assert.Equal((SiteMode.ShelterInPlace, "shelter-b"), (shelter.State.Mode, shelter.State.Lockdown!.Scenario));
        Assert.All(["lock-egress", "lock-entry", "lock-c"], id => Assert.True(Locked(shelter.State, id), id));
    }

    [Fact]
    public void A_technicians_evacuate_over_a_real_lockdown_is_refused_like_a_guards()
    {
        // Any office role but a supervisor: the installer's key is not a way round the rule.
        var lockdown = Press(Quiet(), "panic-a", 1).State;

        var evacuate = Run(lockdown, Command(CommandType.Evacuate, OperatorRole.Technician, "evacuate"), 2);

        Assert.Same(lockdown, evacuate.State);
        Assert.StartsWith("a technician may not replace the real 'lockdown'", Refusal(evacuate), StringComparison.Ordinal);
    }

    [Fact]
    public void A_supervisors_zone_limited_lockdown_and_shelter_take_over_and_keep_the_locks_outside()
    {
        // Narrowing a real lockdown is ending part of it: that is the all-clear's (two supervisors)
        // or a releaser key's, which ends the scenario over it and lets it run again.
        var lockdown = Press(Quiet(), "panic-a", 1).State;

        var scoped = Run(lockdown, Command(CommandType.Lockdown, OperatorRole.Supervisor, "lockdown-b"), 2);
        var shelter = Run(scoped.State, Command(CommandType.Shelter, OperatorRole.Supervisor, "shelter-b"), 3);

        Assert.Equal("lockdown", Assert.IsType<LockdownStarted>(scoped.Events[0]).Replaced);
        Assert.True(Locked(scoped.State, "lock-c"));
        Assert.True(Locked(scoped.State, "lock-egress"));
        Assert.Equal((SiteMode.ShelterInPlace, "shelter-b"), (shelter.State.Mode, shelter.State.Lockdown!.Scenario));
        Assert.Equal("sup-1", Assert.IsType<CommandDone>(shelter.Events[^1]).Operator);
        Assert.Equal(["lockdown", "lockdown-b"], shelter.State.Suspended.Select(s => s.Info.Scenario));
        Assert.True(Locked(shelter.State, "lock-c") && Locked(shelter.State, "lock-egress"));
    }

    [Fact]
    public void A_guards_wider_lockdown_over_a_scoped_real_one_takes_over()
    {
        // Escalating to something that locks at least as much is open to guards.
        var scoped = Run(Quiet(), Command(CommandType.Lockdown, OperatorRole.Guard, "lockdown-b"), 1).State;

        var all = Run(scoped, Command(CommandType.Lockdown, OperatorRole.Guard, "lockdown-all"), 2);

        Assert.Equal("lockdown-all", all.State.Lockdown!.Scenario);
        Assert.IsType<CommandDone>(all.Events[^1]);
        Assert.True(Locked(all.State, "lock-c"));
    }

    [Fact]
    public void A_scoped_shelter_trigger_on_site_keeps_the_rank_rule_and_the_lockdowns_locks()
    {
        // shelter-b's key is on site: somebody there turned it, as with the evacuation key.
        var lockdown = Run(Quiet(), Command(CommandType.Lockdown, OperatorRole.Guard, "lockdown"), 1).State;

        var shelter = Press(lockdown, "key-shelter", 2);

        Assert.Equal((SiteMode.ShelterInPlace, "shelter-b"), (shelter.State.Mode, shelter.State.Lockdown!.Scenario));
        Assert.True(Locked(shelter.State, "lock-c"), "the lockdown it took over still keeps zone c locked");
    }

    [Fact]
    public void A_lock_an_exit_button_holds_open_for_a_few_seconds_still_counts_as_kept_locked()
    {
        // The evacuation would leave the egress door released for good, not for the button's seconds.
        var lockdown = Press(Quiet(), "panic-a", 1).State;
        var leaving = Press(lockdown, "rex-a", 2).State;
        Assert.False(Locked(leaving, "lock-egress"), "the exit button releases its door");

        var evacuate = Run(leaving, Command(CommandType.Evacuate, OperatorRole.Guard, "evacuate"), 3);

        Assert.Same(leaving, evacuate.State);
        Assert.Contains("which releases lock 'lock-egress';", Refusal(evacuate), StringComparison.Ordinal);
    }

    [Fact]
    public void A_secure_door_latched_open_by_delayed_egress_before_the_lockdown_counts_as_released_by_an_evacuation()
    {
        // Delayed egress latches door-entry (a secure, normally locked door in zone b) released
        // until its relock key; the lockdown (zone a only) holds it locked anyway, as every lockdown
        // holds secure doors, but an evacuation honours the latch again outside the zones the
        // suspended lockdown covers: the guard's evacuate would unlock it.
        var site = TestSite.Create("a") with { ExtraScenarios = Site.ExtraScenarios };
        var latched = SiteDecider.Decide(site, Press(Quiet(site), "rex-b", 1, site).State, TimerTick.Instance, TestSite.At(20)).State;
        Assert.False(Locked(latched, "lock-entry", site), "released after the delay, until relocked");
        var lockdown = Press(latched, "panic-a", 60, site).State;
        Assert.True(Locked(lockdown, "lock-entry", site), "the lockdown holds the latched secure door locked");
        var evacuation = Run(lockdown, Command(CommandType.Evacuate, OperatorRole.Supervisor, "evacuate"), 61, site).State;
        Assert.False(Locked(evacuation, "lock-entry", site), "an evacuation honours the latch: what the guard's would do");

        var evacuate = Run(lockdown, Command(CommandType.Evacuate, OperatorRole.Guard, "evacuate"), 61, site);

        Assert.Same(lockdown, evacuate.State);
        Assert.Contains("'lock-entry'", Refusal(evacuate), StringComparison.Ordinal);
    }

    [Fact]
    public void A_secure_door_latched_open_before_the_lockdown_stays_locked_through_an_evacuation_over_it_in_its_zones()
    {
        // As above, with the lockdown covering zone b: suspended under the evacuation, it still
        // holds the secure door, so the guard's evacuate releases nothing it keeps locked.
        var site = TestSite.Create("b") with { ExtraScenarios = Site.ExtraScenarios };
        var latched = SiteDecider.Decide(site, Press(Quiet(site), "rex-b", 1, site).State, TimerTick.Instance, TestSite.At(20)).State;
        var lockdown = Press(latched, "panic-a", 60, site).State;

        var evacuate = Run(lockdown, Command(CommandType.Evacuate, OperatorRole.Guard, "evacuate"), 61, site);

        Assert.Equal(SiteMode.Evacuation, evacuate.State.Mode);
        Assert.True(Locked(evacuate.State, "lock-entry", site), "the suspended lockdown holds the secure door");
    }

    [Fact]
    public void During_a_fire_a_guards_evacuate_over_a_real_lockdown_is_still_refused()
    {
        // Here the lockdown covers zones a and b: the only lock an evacuation would release is the
        // egress door, which the fire has released already. But only until the fire is reset; the
        // evacuation would keep it released after that, and it outranks the panic buttons.
        var site = TestSite.Create("a", "b") with { ExtraScenarios = Site.ExtraScenarios };
        var burning = Press(Press(Quiet(site), "panic-a", 1, site).State, "fire-panel", 2, site).State;
        Assert.True(burning.FireEgressReleased);
        Assert.False(Locked(burning, "lock-egress", site));

        var evacuate = Run(burning, Command(CommandType.Evacuate, OperatorRole.Guard, "evacuate"), 3, site);

        Assert.Same(burning, evacuate.State);
        Assert.Equal(
            "a guard may not replace the real 'lockdown' with 'evacuate', which releases lock 'lock-egress'; "
                + "a supervisor must send it",
            Refusal(evacuate));
    }

    [Fact]
    public void During_a_fire_the_fires_own_release_does_not_count_against_a_guards_takeover()
    {
        // lockdown-ac locks everything the site-wide lockdown does; the egress door is released
        // by the fire before and after, which is no release of the takeover's.
        var burning = Press(Press(Quiet(), "panic-a", 1).State, "fire-panel", 2).State;

        var scoped = Run(burning, Command(CommandType.Lockdown, OperatorRole.Guard, "lockdown-ac"), 3);

        Assert.Equal("lockdown-ac", scoped.State.Lockdown!.Scenario);
        Assert.IsType<CommandDone>(scoped.Events[^1]);
        Assert.False(Locked(scoped.State, "lock-egress"), "still released for the fire");
        Assert.True(Locked(scoped.State, "lock-c"));
    }
}
