using EdgeGuard.Controller;
using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Tests.Controller;

// A late read that held no scenario but other state (a chosen threat level, a fire release): the
// office is told what is lost, not told to re-issue a lockdown there was none of; and a fire
// release, the life-safe direction, is put back in force as a boot restores it.
public sealed partial class UnreadableSafetyStateTests
{
    [Fact]
    public async Task A_late_read_of_a_threat_level_names_it_and_speaks_of_no_lockdown()
    {
        _store.Holds = SafetyState.Initial with { ThreatLevel = 3 };
        _store.Hang = true;
        await _h.BootAsync().WaitAsync(Patience);

        _store.Unhang();
        await Eventually.TrueAsync(() => !_store.LoadRunning && _h.Controller.SafetySaverIdle, Patience, "the late load never ended");
        await _h.SettleAsync();

        // Before: "re-issue the lockdown or other scenario it held. ... it held mode normal, no
        // fire release": a critical call for a lockdown there was none of, the threat level unnamed.
        var late = EventReason(_h.Events.Events.OfType<SafetyStateUnreadable>().Last());
        Assert.Contains("threat level 3", late, StringComparison.Ordinal);
        Assert.DoesNotContain("lockdown", late, StringComparison.Ordinal);
        Assert.InRange(late.Length, 1, 1024);
    }

    [Fact]
    public async Task A_late_read_of_a_fire_release_on_an_idle_site_releases_egress_and_saves_it()
    {
        _store.Holds = SafetyState.Initial with { LifeSafety = LifeSafety.FireEgressReleased };
        _store.Hang = true;
        await _h.BootAsync().WaitAsync(Patience);
        Assert.True(_h.Driver.GetOutputLevel(ExitLine), "booted without it: egress locked");

        _store.Unhang();
        await Eventually.TrueAsync(() => _store.LastSaved is not null && _h.Controller.SafetySaverIdle, Patience, "the fire release never saved");
        await _h.SettleAsync();

        // Before: "egress follows the fire inputs": a release latched before the power cut,
        // the panel's input quiet since, was dropped and egress locked again.
        Assert.Equal(LifeSafety.FireEgressReleased, _h.Controller.Snapshot!.State.LifeSafety);
        Assert.False(_h.Driver.GetOutputLevel(ExitLine), "the late read's fire release releases egress");
        Assert.Equal(LifeSafety.FireEgressReleased, _store.LastSaved!.LifeSafety);
        var late = EventReason(_h.Events.Events.OfType<SafetyStateUnreadable>().Last());
        Assert.Contains("fire release is in force again", late, StringComparison.Ordinal);
        Assert.DoesNotContain("lockdown", late, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_late_read_of_a_fire_release_after_a_panic_lockdown_since_the_boot_releases_egress_too()
    {
        _store.Holds = SafetyState.Initial with { LifeSafety = LifeSafety.FireEgressReleased };
        _store.Hang = true;
        await _h.BootAsync().WaitAsync(Patience);
        _h.Set("panic", true);
        await _h.SettleAsync();
        Assert.Equal(SiteMode.Lockdown, _h.Controller.Snapshot!.State.Mode);

        _store.Unhang();
        await Eventually.TrueAsync(() => _store.LastSaved is { LifeSafety: LifeSafety.FireEgressReleased } && _h.Controller.SafetySaverIdle, Patience, "the fire release never saved");
        await _h.SettleAsync();

        // The panic's lockdown stands; egress is released over it, as a live fire would.
        var state = _h.Controller.Snapshot!.State;
        Assert.Equal(SiteMode.Lockdown, state.Mode);
        Assert.Equal("panic-button", state.Lockdown?.Cause);
        Assert.True(_h.Driver.GetOutputLevel(LockLine), "the lockdown keeps its lock locked");
        Assert.Equal(LifeSafety.FireEgressReleased, state.LifeSafety);
        Assert.False(_h.Driver.GetOutputLevel(ExitLine), "egress released over the lockdown");
        Assert.Equal(SiteMode.Lockdown, _store.LastSaved!.Mode);
        Assert.Contains("fire release is in force again", EventReason(_h.Events.Events.OfType<SafetyStateUnreadable>().Last()), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_late_read_of_a_fire_release_puts_back_its_record_of_the_inputs_that_raised()
    {
        _store.Holds = SafetyState.Initial with
        {
            LifeSafety = LifeSafety.FireEgressReleased,
            FireRaised = System.Collections.Immutable.ImmutableSortedSet.Create(StringComparer.Ordinal, "fire"),
        };
        _store.Hang = true;
        await _h.BootAsync().WaitAsync(Patience);

        _store.Unhang();
        await Eventually.TrueAsync(() => _store.LastSaved is not null && _h.Controller.SafetySaverIdle, Patience, "the fire release never saved");
        await _h.SettleAsync();

        // Without it the row was overwritten with the release alone: the panel that raised
        // before the restart would raise fire.alarm again at its next edge and at every reboot.
        Assert.Equal(["fire"], _h.Controller.Snapshot!.State.FireRaised);
        Assert.Equal(["fire"], _store.LastSaved!.FireRaised!);
        _h.Set("fire", true);
        await _h.SettleAsync();
        Assert.DoesNotContain(_h.Events.Events, e => e is FireAlarmRaised);
    }
}
