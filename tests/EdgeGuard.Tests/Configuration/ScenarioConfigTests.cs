using EdgeGuard.Configuration;
using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Tests.Configuration;

/// <summary>Scenarios and drills in config: each broken one named at its key, with no cascade.</summary>
public sealed class ScenarioConfigTests
{
    public static TheoryData<string, string, string, string> Broken => new()
    {
        // key to set, its value, the path the error must name, a fragment of its message
        { "scenarios:0:rank", "100", "EdgeGuard:scenarios:0:rank", "already used by scenario 'lockdown'" },
        { "scenarios:0:mode", "curfew", "EdgeGuard:scenarios:0:mode", "'curfew'" },
        { "scenarios:0:id", "lockdown", "EdgeGuard:scenarios:0:id", "built-in lockdown" },
        { "scenarios:0:triggers:0", "door-lobby", "EdgeGuard:scenarios:0:triggers:0", "point 'door-lobby' is a doorContact, not a panicButton or keyswitch point" },
        { "scenarios:0:releasers:0", "key-evacuate", "EdgeGuard:scenarios:0:releasers", "'key-evacuate' both starts and ends this scenario" },
        { "scenarios:0:zones:0", "annex", "EdgeGuard:scenarios:0:zones:0", "zone 'annex' is not defined" },
        { "drill:mutedOutputs:0", "lock-lobby", "EdgeGuard:drill:mutedOutputs:0", "output 'lock-lobby' is a lock, not a siren, strobe or indicator" },
        { "lockdown:drillTriggers:0", "panic-lobby", "EdgeGuard:lockdown:drillTriggers:0", "only keyswitch points can start a drill" },
        { "lockdown:drillTriggers:0", "key-guardroom", "EdgeGuard:lockdown:drillTriggers", "'key-guardroom' also ends a scenario" },
        { "scenarios:0:drillTriggers:0", "key-guardroom", "EdgeGuard:scenarios:0:releasers", "'key-guardroom' both starts and ends this scenario" },
        { "scenarios:0:triggers:1", "key-guardroom", "EdgeGuard:scenarios:0:releasers", "'key-guardroom' both starts and ends this scenario" },
        { "drill:mutedOutputs:0", "panic-lobby", "EdgeGuard:drill:mutedOutputs:0", "'panic-lobby' is point 'panic-lobby', not a siren, strobe or indicator output" },
    };

    [Theory]
    [MemberData(nameof(Broken))]
    public void A_broken_scenario_or_drill_is_reported_at_its_key(string key, string value, string path, string fragment)
    {
        var result = TestConfigs.Read(k => k.Set(key, value));

        var error = Assert.Single(result.Errors);
        Assert.Equal(path, error.Path);
        Assert.Contains(fragment, error.Message, StringComparison.Ordinal);
    }

    // The duplicate was checked only against scenarios read without a problem: with the first
    // 'evacuate' at rank 0, the second was reported only once that rank was fixed.
    [Fact]
    public void A_second_scenario_with_an_id_is_reported_beside_the_first_ones_other_problem()
    {
        var result = TestConfigs.Read(k =>
        {
            k.Set("scenarios:0:rank", "0");
            k.Set("scenarios:1:id", "evacuate");
            k.Set("scenarios:1:mode", "shelterInPlace");
            k.Set("scenarios:1:rank", "60");
            k.Set("scenarios:1:releasers:0", "key-guardroom");
        });

        Assert.Equal(["EdgeGuard:scenarios:0:rank", "EdgeGuard:scenarios:1:id"], result.Errors.Select(e => e.Path));
        Assert.Contains("scenario id 'evacuate' is already used", result.Errors[1].Message, StringComparison.Ordinal);
    }

    // The path was an index into the scenarios read without a problem: with the first one left out
    // (its mode misspelt), the second one's key was reported at scenarios:0, the first one's item.
    [Fact]
    public void A_scenario_after_one_left_out_is_reported_at_its_own_item()
    {
        var result = TestConfigs.Read(k =>
        {
            k.Set("scenarios:0:mode", "curfew");
            k.Set("scenarios:1:id", "shelter");
            k.Set("scenarios:1:mode", "shelterInPlace");
            k.Set("scenarios:1:rank", "60");
            k.Set("scenarios:1:triggers:0", "key-guardroom");
            k.Set("scenarios:1:releasers:0", "key-evacuate");
        });

        Assert.Equal(["EdgeGuard:scenarios:0:mode", "EdgeGuard:scenarios:1"], result.Errors.Select(e => e.Path));
        Assert.Contains("scenario 'shelter': 'key-guardroom' also ends a scenario", result.Errors[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_scenario_without_a_releaser_is_refused_because_it_could_never_end_locally()
    {
        var result = TestConfigs.Read(k => k.Drop("scenarios:0:releasers"));

        TestConfigs.AssertError(result, "EdgeGuard:scenarios:0:releasers", "at least one keyswitch point that may end this scenario");
    }

    [Fact]
    public void A_shelter_scenario_is_read_with_its_zones_and_the_lockdown_siren_time_by_default()
    {
        var result = TestConfigs.Read(k =>
        {
            k.Set("scenarios:1:id", "shelter-chancery");
            k.Set("scenarios:1:mode", "shelterInPlace");
            k.Set("scenarios:1:zones:0", "chancery");
            k.Set("scenarios:1:rank", "60");
            k.Set("scenarios:1:releasers:0", "key-guardroom");
        });

        Assert.True(result.IsValid, result.ToReport());
        var shelter = result.Config!.Site.Scenarios.Single(s => s.Id == "shelter-chancery");
        Assert.Equal((SiteMode.ShelterInPlace, 60), (shelter.Mode, shelter.Rank));
        Assert.Equal(["chancery"], shelter.Zones);
        Assert.Empty(shelter.Triggers);
        Assert.Equal(TimeSpan.FromSeconds(120), shelter.SirenDuration);
    }

    [Fact]
    public void A_silent_hold_up_button_cannot_start_a_scenario()
    {
        var result = TestConfigs.Read(k =>
        {
            k.Set("points:4:silent", "true");
            k.Set("scenarios:0:triggers:1", "panic-guardroom");
        });

        TestConfigs.AssertError(result, "EdgeGuard:scenarios:0:triggers", "'panic-guardroom' is a silent hold-up button");
    }

    [Fact]
    public void A_panic_button_cannot_trigger_an_evacuation_and_every_such_trigger_is_listed()
    {
        // Ranked over the built-in lockdown, the evacuation would win the press: the doors a panic
        // button must lock would open instead. Both buttons, in both scenarios, are named at once.
        var result = TestConfigs.Read(k =>
        {
            k.Set("scenarios:0:triggers:1", "panic-lobby");
            k.Set("scenarios:0:triggers:2", "panic-guardroom");
            k.Set("scenarios:1:id", "evacuate-lobby");
            k.Set("scenarios:1:mode", "evacuation");
            k.Set("scenarios:1:zones:0", "lobby");
            k.Set("scenarios:1:rank", "150");
            k.Set("scenarios:1:triggers:0", "panic-lobby");
            k.Set("scenarios:1:releasers:0", "key-guardroom");
        });

        Assert.Equal(3, result.Errors.Count);
        foreach (var (path, point, scenario) in new[]
        {
            ("EdgeGuard:scenarios:0:triggers:1", "panic-lobby", "evacuate"),
            ("EdgeGuard:scenarios:0:triggers:2", "panic-guardroom", "evacuate"),
            ("EdgeGuard:scenarios:1:triggers:0", "panic-lobby", "evacuate-lobby"),
        })
        {
            var error = TestConfigs.AssertError(result, path, $"panic button '{point}'", "may not trigger",
                "releases every egress lock", "remove it from this scenario's triggers", "keyswitch");
            Assert.StartsWith($"scenario '{scenario}': ", error.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("lockdown")]
    [InlineData("shelterInPlace")]
    public void A_panic_button_may_trigger_a_scenario_that_locks(string mode)
    {
        var result = TestConfigs.Read(k =>
        {
            k.Set("scenarios:1:id", "lock-chancery-wing");
            k.Set("scenarios:1:mode", mode);
            // The button's own zone too: a scenario that left it out is refused
            // (SiteSafetyConfigTests: A_panic_button_may_not_trigger_a_scenario_that_leaves_out).
            k.Set("scenarios:1:zones:0", "lobby");
            k.Set("scenarios:1:zones:1", "chancery");
            k.Set("scenarios:1:rank", "150");
            k.Set("scenarios:1:triggers:0", "panic-lobby");
            k.Set("scenarios:1:releasers:0", "key-guardroom");
        });

        Assert.True(result.IsValid, result.ToReport());
        Assert.Equal("lock-chancery-wing", result.Config!.Site.ScenarioTriggeredBy("panic-lobby", drill: false)!.Id);
    }

    [Fact]
    public void A_panic_button_where_there_is_no_lock_and_no_alarm_may_trigger_a_scenario_over_other_zones()
    {
        // The annex sample with its siren moved into the annex: the guard room then has neither a
        // door to lock nor a siren or strobe to sound, so a lockdown of the annex, siren and all,
        // leaves nothing undone where the button was pressed.
        var result = ReadAnnexWithLockdownOfTheAnnex("EdgeGuard:outputs:2:zone=annex");

        Assert.True(result.IsValid, result.ToReport());
        Assert.Equal("lockdown-annex", result.Config!.Site.ScenarioTriggeredBy("panic-guardroom", drill: false)!.Id);
    }

    [Fact]
    public void A_panic_button_where_the_siren_is_may_not_trigger_a_scenario_that_leaves_its_zone_out()
    {
        // The annex sample as shipped: the site's only siren is in the guard room, so a lockdown of
        // the annex alone, started by the guard room's button, would sound no siren anywhere.
        var result = ReadAnnexWithLockdownOfTheAnnex();

        var error = TestConfigs.AssertError(result, "EdgeGuard:scenarios:0:triggers:0",
            "panic button 'panic-guardroom' is in zone 'guardroom', where there is a siren or strobe (siren-main)",
            "this lockdown scenario covers only annex", "would sound none of the sirens or strobes where it was pressed",
            "add zone 'guardroom' to its zones");
        Assert.StartsWith("scenario 'lockdown-annex': ", error.Message, StringComparison.Ordinal);
        Assert.Single(result.Errors);
    }

    private static ConfigResult ReadAnnexWithLockdownOfTheAnnex(params string[] more)
    {
        var loaded = GatewayConfigLoader.Build(Path.Combine(AppContext.BaseDirectory, "samples", "annex-io-board.json"),
        [
            "EdgeGuard:scenarios:0:id=lockdown-annex", "EdgeGuard:scenarios:0:mode=lockdown",
            "EdgeGuard:scenarios:0:zones:0=annex", "EdgeGuard:scenarios:0:rank=150",
            "EdgeGuard:scenarios:0:triggers:0=panic-guardroom", "EdgeGuard:scenarios:0:releasers:0=key-guardroom",
            .. more,
        ]);
        Assert.Empty(loaded.Errors);
        return GatewayConfigReader.Read(loaded.Configuration);
    }
}
