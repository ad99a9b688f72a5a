using System.Collections.Immutable;
using EdgeGuard.Controller;
using EdgeGuard.Core;
using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Tests.Controller;

// What the site decided since the boot that is no decision about a real scenario is merged with
// a real scenario read late, not a reason to drop it: a fire (it runs beside a lockdown and beats
// it only at the egress doors), a drill (a real scenario replaces a drill, a drill never masks a
// real one), a threat level chosen by a guard's key. Before, each of them dropped the lockdown in
// force before the power cut, and the doors stayed unlocked (review "core").
public sealed partial class UnreadableSafetyStateTests
{
    /// <summary>The test site with a threat-level key a guard turns to raise the level.</summary>
    private static readonly SiteDefinition ThreatKeySite = Site with
    {
        Points = [.. Site.Points, new("elevate", PointKind.Keyswitch, 5, ActiveHigh: false, LinePull.Up, TimeSpan.Zero, "a")],
        ThreatLevels =
        [
            new(1, "normal", [], BreachStartsLockdown: false, HeldOpen: null, []),
            new(2, "elevated", [], BreachStartsLockdown: false, HeldOpen: null, ["elevate"]),
        ],
    };

    [Fact]
    public async Task A_late_lockdown_is_put_back_beside_a_fire_release_decided_since_the_boot()
    {
        await BootIntoTheHungRead(_h);
        _h.Set("fire", true);
        await _h.SettleAsync();
        Assert.False(_h.Driver.GetOutputLevel(ExitLine), "the fire released egress while the read hung");

        await EndTheRead(_h);

        // Before: mode normal, "not applied": the fire counted as a decision over the lockdown.
        AssertPutBack(_h);
        var state = _h.Controller.Snapshot!.State;
        Assert.Equal(LifeSafety.FireEgressReleased, state.LifeSafety);
        Assert.Equal(["fire"], state.FireRaised);
        var plan = OutputPlan.For(_h.Site, state);
        Assert.True(plan.IsActive("lock"), "the lockdown locks its door");
        Assert.False(plan.IsActive("exit"), "the fire keeps egress released in the lockdown");
        Assert.False(_h.Driver.GetOutputLevel(ExitLine), "egress stays released");
        await Eventually.TrueAsync(() => _store.LastSaved is { Mode: SiteMode.Lockdown } && _h.Controller.SafetySaverIdle, Patience, "the merged state never saved");
        Assert.Equal(LifeSafety.FireEgressReleased, _store.LastSaved!.LifeSafety);
        Assert.Equal(["fire"], _store.LastSaved!.FireRaised!);
    }

    [Fact]
    public async Task A_late_lockdown_is_put_back_after_a_fire_released_and_reset_since_the_boot()
    {
        await BootIntoTheHungRead(_h);
        _h.Set("fire", true);
        await _h.SettleAsync();
        _h.Set("fire", false);
        _h.Set("key", true);
        await _h.SettleAsync();
        Assert.Equal(LifeSafety.Normal, _h.Controller.Snapshot!.State.LifeSafety);

        await EndTheRead(_h);

        AssertPutBack(_h);
        Assert.Equal(LifeSafety.Normal, _h.Controller.Snapshot!.State.LifeSafety);
        Assert.True(_h.Driver.GetOutputLevel(ExitLine), "reset since the boot: egress locked again");
    }

    [Fact]
    public async Task A_late_real_lockdown_replaces_a_drill_started_since_the_boot_and_a_drill_stop_does_not_end_it()
    {
        await BootIntoTheHungRead(_h);
        await Done(_h, Command(_h, CommandType.DrillStart, OperatorRole.Supervisor));
        Assert.True(_h.Controller.Snapshot!.State.Lockdown!.Drill);

        await EndTheRead(_h);

        // Before: the drill stood over the real lockdown, and one operator's drill-stop then put
        // a site really in lockdown in normal mode.
        AssertPutBack(_h);
        var started = _h.Events.Events.OfType<GatewayStarted>().Last();
        Assert.False(started.Drill, "the restored lockdown is announced as real");
        Assert.Contains("replaces the drill", EventReason(_h.Events.Events.OfType<SafetyStateUnreadable>().Last()), StringComparison.Ordinal);

        var stop = await _h.ExecuteAsync(Command(_h, CommandType.DrillStop, OperatorRole.Guard));
        Assert.False(stop.Done, "no drill runs to stop");
        AssertPutBack(_h);
    }

    [Fact]
    public async Task A_late_drill_is_not_put_back_over_a_drill_started_since_the_boot()
    {
        _store.Holds = LockedDown with { Lockdown = new LockdownInfo("keyswitch", "key", BeforeTheRestart, Drill: true) };
        _store.Hang = true;
        await _h.BootAsync().WaitAsync(Patience);
        await Done(_h, Command(_h, CommandType.DrillStart, OperatorRole.Supervisor));
        var drill = _h.Controller.Snapshot!.State.Lockdown;

        await EndTheRead(_h);

        // The office's newer drill stands: a drill replaces no drill.
        Assert.Equal(drill, _h.Controller.Snapshot!.State.Lockdown);
        Assert.Single(_h.Events.Events.OfType<GatewayStarted>());
        Assert.False(_h.Events.Events.OfType<SafetyStateUnreadable>().Last().Reapplied);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_late_lockdown_put_back_over_a_drill_sounds_its_own_siren_not_the_drills(bool soundingAtThePowerCut)
    {
        _store.Holds = LockedDown with { SirenSounding = soundingAtThePowerCut };
        _store.Hang = true;
        await _h.BootAsync().WaitAsync(Patience);
        await Done(_h, Command(_h, CommandType.DrillStart, OperatorRole.Supervisor));
        Assert.True(_h.Controller.Snapshot!.State.SirenSounding, "the drill sounds its siren");
        if (soundingAtThePowerCut)
        {
            // The office silences the drill's siren: that silences no real alert.
            var drillStart = new JournaledAlarm(Guid.NewGuid(), "lockdown.started", _h.Time.GetUtcNow(), Severity.Critical, null, Drill: true)
            {
                LatestStartOrRetrigger = true,
            };
            var answer = await Acknowledge(_h, drillStart);
            Assert.True(answer.Done, answer.Detail);
            Assert.False(_h.Controller.Snapshot!.State.SirenSounding, "the drill's siren silenced");
        }

        await EndTheRead(_h);

        // As a boot restores it: the real alert's siren sounds again if it sounded at the power
        // cut; the drill's siren ended with the drill.
        AssertPutBack(_h);
        Assert.Equal(soundingAtThePowerCut, _h.Controller.Snapshot!.State.SirenSounding);
    }

    [Fact]
    public async Task A_late_lockdown_put_back_over_a_drill_is_not_silenced_by_acknowledging_the_drills_start()
    {
        _store.Holds = LockedDown with { SirenSounding = true };
        _store.Hang = true;
        await _h.BootAsync().WaitAsync(Patience);
        await Done(_h, Command(_h, CommandType.DrillStart, OperatorRole.Supervisor));
        var drillStart = new JournaledAlarm(Guid.NewGuid(), "lockdown.started", _h.Time.GetUtcNow(), Severity.Critical, null, Drill: true)
        {
            // Journaled since the boot: the latest drill start (EventJournal.FindAlarm).
            LatestStartOrRetrigger = true,
        };
        await EndTheRead(_h);
        AssertPutBack(_h);

        // Before: the drill's start was the journal's latest start, and the restored siren sounds
        // for an alert from before the restart (SirenSince unknown), so it silenced the siren of
        // the real lockdown: a drill masked a real alert.
        Assert.True((await Acknowledge(_h, drillStart)).Done);
        Assert.True(_h.Controller.Snapshot!.State.SirenSounding, "a drill's alert silences no real siren");

        // The real alert it sounds for, the latest real start, does.
        var realStart = new JournaledAlarm(Guid.NewGuid(), "lockdown.started", LockedDown.Lockdown!.Since, Severity.Critical, "panic") { LatestStartOrRetrigger = true };
        Assert.True((await Acknowledge(_h, realStart)).Done);
        Assert.False(_h.Controller.Snapshot!.State.SirenSounding, "the real lockdown's own alert silences it");
    }

    [Fact]
    public async Task A_late_lockdown_put_back_over_a_drill_counts_no_all_clear_approval_given_before_it()
    {
        await BootIntoTheHungRead(_h);
        await Done(_h, Command(_h, CommandType.DrillStart, OperatorRole.Supervisor));
        var beforeTheRestore = _h.Time.GetUtcNow();
        await Done(_h, AllClear(_h, "sup-1", beforeTheRestore));
        _h.Time.Advance(TimeSpan.FromSeconds(1));

        await EndTheRead(_h);
        AssertPutBack(_h);

        // One signed before the restore (queued at the broker) counts for nothing...
        Assert.False((await _h.ExecuteAsync(AllClear(_h, "sup-2", beforeTheRestore))).Done);
        AssertPutBack(_h);
        // ... and the drill's approval is not the first of two for the real lockdown.
        _h.Time.Advance(TimeSpan.FromSeconds(1));
        await Done(_h, AllClear(_h, "sup-2", _h.Time.GetUtcNow()));
        AssertPutBack(_h);
    }

    [Fact]
    public async Task A_late_lockdown_is_put_back_beside_a_threat_level_a_guard_selected_by_key_since_the_boot()
    {
        await using var h = new ControllerHarness(ThreatKeySite, _ => _store);
        await BootIntoTheHungRead(h);
        h.Set("elevate", true);
        await h.SettleAsync();
        Assert.Equal(2, h.Controller.Snapshot!.State.ThreatLevel);

        await EndTheRead(h);

        AssertPutBack(h);
        Assert.Equal(2, h.Controller.Snapshot!.State.ThreatLevel);
    }

    private static Task<CommandOutcome> Acknowledge(ControllerHarness h, JournaledAlarm alarm)
    {
        var acknowledge = Command(h, CommandType.Acknowledge, OperatorRole.Guard, ("event_id", new JsonStringItem(alarm.Id.ToString("D"))));
        return h.Controller.ExecuteAsync(new OfficeCommandInput(acknowledge) { Acknowledged = alarm }, CancellationToken.None).WaitAsync(Patience);
    }

    private static VerifiedCommand AllClear(ControllerHarness h, string supervisor, DateTimeOffset issuedAt)
    {
        var envelope = new CommandEnvelope(Guid.NewGuid().ToString(), CommandType.AllClear, h.Site.SiteId, h.Site.GatewayId, supervisor,
            issuedAt, h.Time.GetUtcNow().AddMinutes(1), JsonObjectItem.Empty, ImmutableArray.Create(new byte[CommandEnvelope.SignatureLength]));
        return new VerifiedCommand(envelope, OperatorRole.Supervisor);
    }
}
