using EdgeGuard.Configuration;

namespace EdgeGuard.Tests.Configuration;

/// <summary>
/// A press that locks and sounds nothing anywhere (GatewayConfigReader.SafetyChecks.cs): the
/// built-in lockdown counts only what really starts it, its error names both ways out, and a
/// lockdown scenario a panic button starts is held to the same rule.
/// </summary>
public sealed class LockdownSirenConfigTests
{
    // Both panic buttons start a lockdown ranked over the built-in one, covering the siren's and
    // the strobe's zones; the built-in one covers the chancery (a lock, no siren or strobe).
    private static void EveryButtonStartsAScenarioOverTheLockdown(Dictionary<string, string?> k)
    {
        k.Set("lockdown:zones:0", "chancery");
        k.Set("scenarios:1:id", "lock-front");
        k.Set("scenarios:1:mode", "lockdown");
        k.Set("scenarios:1:zones:0", "lobby");
        k.Set("scenarios:1:zones:1", "guardroom");
        k.Set("scenarios:1:rank", "150");
        k.Set("scenarios:1:triggers:0", "panic-lobby");
        k.Set("scenarios:1:triggers:1", "panic-guardroom");
        k.Set("scenarios:1:releasers:0", "key-guardroom");
    }

    [Fact]
    public void A_lockdown_no_button_starts_may_cover_no_siren()
    {
        // With no drill keyswitch and no breach starting it, only the office starts the built-in
        // lockdown: it was refused as "started by panic button 'panic-lobby'", which is false,
        // and a refused config stops the gateway.
        var result = TestConfigs.Read(k =>
        {
            EveryButtonStartsAScenarioOverTheLockdown(k);
            k.Drop("lockdown:drillTriggers");
            k.Set("threatLevels:levels:2:breachStartsLockdown", "false");
        });

        Assert.True(result.IsValid, result.ToReport());
        Assert.Equal("lock-front", result.Config!.Site.ScenarioTriggeredBy("panic-lobby", drill: false)!.Id);
    }

    [Fact]
    public void A_lockdown_only_the_office_starts_needs_neither_a_lock_in_its_zones_nor_a_clear_keyswitch()
    {
        // The same rule for the lock and the on-site clear: a button whose press starts a scenario
        // ranked over the built-in lockdown does not start it. Both were refused as "started by
        // panic button 'panic-lobby'", and a refused config stops the gateway.
        var result = TestConfigs.Read(k =>
        {
            EveryButtonStartsAScenarioOverTheLockdown(k);
            k.Drop("lockdown:drillTriggers");
            k.Set("threatLevels:levels:2:breachStartsLockdown", "false");
            k.Set("lockdown:zones:0", "perimeter");
            k.Drop("lockdown:clearKeyswitches");
        });

        Assert.True(result.IsValid, result.ToReport());
    }

    [Fact]
    public void A_lockdown_one_button_still_starts_needs_a_lock_and_a_clear_keyswitch_and_names_that_button()
    {
        var result = TestConfigs.Read(k =>
        {
            EveryButtonStartsAScenarioOverTheLockdown(k);
            k.Drop("scenarios:1:triggers:1"); // panic-guardroom starts the built-in lockdown again
            k.Drop("lockdown:drillTriggers");
            k.Set("threatLevels:levels:2:breachStartsLockdown", "false");
            k.Set("lockdown:zones:0", "perimeter");
            k.Drop("lockdown:clearKeyswitches");
        });

        Assert.Contains(result.Errors, e => e.Path == "EdgeGuard:lockdown:zones"
            && e.Message.Contains("(started by panic button 'panic-guardroom') would lock nothing", StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.Path == "EdgeGuard:lockdown:clearKeyswitches"
            && e.Message.Contains("by panic button 'panic-guardroom'", StringComparison.Ordinal));
        Assert.DoesNotContain(result.Errors, e => e.Message.Contains("panic-lobby", StringComparison.Ordinal));
    }

    [Fact]
    public void A_lockdown_a_breach_starts_must_still_cover_a_siren_and_names_only_what_starts_it()
    {
        var result = TestConfigs.Read(k =>
        {
            EveryButtonStartsAScenarioOverTheLockdown(k);
            k.Drop("lockdown:drillTriggers");
        });

        var error = Assert.Single(result.Errors);
        Assert.Equal("EdgeGuard:lockdown:zones", error.Path);
        Assert.Contains("(started by a breach at threat level 5) would sound nothing anywhere on site", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("panic button", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("silent", error.Message, StringComparison.Ordinal); // no button to make silent
    }

    [Fact]
    public void The_error_for_a_lockdown_that_sounds_nowhere_names_both_ways_out()
    {
        // As in SiteSafetyConfigTests: the guardroom's button is silent, the lobby's strobe moved
        // to the perimeter, the lockdown over the chancery and the lobby.
        var result = TestConfigs.Read(k =>
        {
            k.Set("lockdown:zones:0", "chancery");
            k.Set("lockdown:zones:1", "lobby");
            k.Set("points:4:silent", "true");
            k.Set("outputs:3:zone", "perimeter");
        });

        var error = Assert.Single(result.Errors);
        Assert.Equal("EdgeGuard:lockdown:zones", error.Path);
        Assert.Contains("add the zone of a siren or strobe (siren-main in guardroom, strobe-lobby in perimeter) to lockdown.zones",
            error.Message, StringComparison.Ordinal);
        Assert.Contains("set \"silent\": true on panic button 'panic-lobby'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_lockdown_scenario_a_panic_button_starts_must_cover_a_siren_when_the_site_has_one()
    {
        // The reception's button has no outputs near it; its press starts the annex lockdown,
        // which locks the annex and sounds nothing anywhere: the site's only siren is in the hallway.
        var result = GatewayConfigReader.Read(TestConfigs.FromJson("""
            { "EdgeGuard": { "site": "s", "gateway": "g", "stateDirectory": "state",
              "hardware": { "driver": "libgpiod", "chip": "0" },
              "zones": [ { "id": "reception" }, { "id": "annex" }, { "id": "hallway" } ],
              "points": [
                { "id": "panic-reception", "kind": "panicButton", "line": 23, "activeLevel": "high", "pull": "up", "zone": "reception" },
                { "id": "key", "kind": "keyswitch", "line": 5, "activeLevel": "low", "pull": "up", "zone": "hallway" } ],
              "outputs": [
                { "id": "lock-annex", "kind": "lock", "line": 12, "activeLevel": "high", "zone": "annex", "failMode": "failSecure" },
                { "id": "siren-hall", "kind": "siren", "line": 16, "activeLevel": "high", "zone": "hallway" } ],
              "lockdown": { "clearKeyswitches": [ "key" ] },
              "scenarios": [ { "id": "annex-lockdown", "mode": "lockdown", "zones": [ "annex" ], "rank": 150,
                "triggers": [ "panic-reception" ], "releasers": [ "key" ] } ] } }
            """));

        var error = Assert.Single(result.Errors);
        Assert.Equal("EdgeGuard:scenarios:0:zones", error.Path);
        Assert.Contains("scenario 'annex-lockdown'", error.Message, StringComparison.Ordinal);
        Assert.Contains("(started by panic button 'panic-reception') would sound nothing anywhere on site", error.Message, StringComparison.Ordinal);
        Assert.Contains("siren-hall in hallway", error.Message, StringComparison.Ordinal);
    }
}
