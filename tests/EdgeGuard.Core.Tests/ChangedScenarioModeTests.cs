using System.Collections.Immutable;
using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Core.Tests;

/// <summary>
/// A scenario whose mode a technician changed in the config while the gateway was stopped, with it
/// running: restored as a stand-in of the persisted mode over the whole site, ended like the built-in
/// lockdown, as a removed one is. It kept the persisted mode with the new scenario's zones, rank and
/// releasers, a combination nobody configured.
/// </summary>
public sealed class ChangedScenarioModeTests
{
    [Fact]
    public void A_running_scenario_whose_id_now_names_another_mode_is_restored_as_a_whole_site_stand_in()
    {
        var site = TestSite.Create();
        // Saved as an evacuation; the config now calls 'shelter-c' a shelter of zone c.
        var saved = new SafetyState(SiteMode.Evacuation, new LockdownInfo("keyswitch", "key-evac", TestSite.At(0).Utc, "shelter-c"), SirenSounding: false);

        var state = SiteState.Restore(site, saved, ImmutableDictionary<string, bool>.Empty, TestSite.At(1));

        var running = Transitions.Running(site, state)!;
        Assert.Equal(SiteMode.Evacuation, state.Mode);
        Assert.Equal((SiteMode.Evacuation, "shelter-c"), (running.Mode, running.Id));
        Assert.Empty(running.Zones);
        Assert.Equal(site.Scenarios[0].Releasers, running.Releasers);
        Assert.Equal(site.Scenarios[0].Rank, running.Rank);
    }

    // Its trigger pressed after the restore: "same scenario again" matched by id alone, so the site
    // stayed in the saved evacuation while the press counted as the shelter again (and cut its siren).
    [Fact]
    public void The_changed_scenarios_trigger_does_not_count_as_the_stand_in_again()
    {
        var site = TestSite.Create();
        var saved = new SafetyState(SiteMode.Evacuation, new LockdownInfo("keyswitch", "key-evac", TestSite.At(0).Utc, "shelter-c"), SirenSounding: true);
        var restored = SiteState.Restore(site, saved, ImmutableDictionary<string, bool>.Empty, TestSite.At(1));

        var pressed = SiteDecider.Decide(site, restored, new PointChanged("key-shelter", true), TestSite.At(2));

        Assert.DoesNotContain(pressed.Events, e => e is LockdownRetriggered);
        // The shelter (rank 50) does not outrank the stand-in (the lockdown's rank): refused, the
        // evacuation and its siren kept.
        Assert.Contains(pressed.Events, e => e is LockdownStartRefused { Scenario: "shelter-c" });
        Assert.Equal(SiteMode.Evacuation, pressed.State.Mode);
        Assert.True(pressed.State.SirenSounding);
    }
}
