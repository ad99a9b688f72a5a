using EdgeGuard.Configuration;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Tests.Configuration;

/// <summary>
/// The whole-site rules (GatewayConfigReader.SafetyChecks.cs) on small sites of their own: where
/// each refuses, where it must not (a gateway that only watches is a legitimate site), and that the
/// new problems are listed together with the others.
/// </summary>
public sealed class SiteSafetyConfigTests
{
    internal const string Key = """{ "id": "key", "kind": "keyswitch", "line": 5, "activeLevel": "low", "pull": "up", "zone": "z" }""";
    private const string Panic = """{ "id": "panic", "kind": "panicButton", "line": 23, "activeLevel": "high", "pull": "up", "zone": "z" }""";
    private const string Door = """{ "id": "door", "kind": "doorContact", "line": 17, "activeLevel": "high", "pull": "up", "zone": "z" }""";
    private const string Fence = """{ "id": "fence", "kind": "perimeter", "line": 22, "activeLevel": "high", "pull": "up", "zone": "z" }""";
    internal const string Siren = """{ "id": "siren", "kind": "siren", "line": 16, "activeLevel": "high", "zone": "z" }""";

    /// <summary>A one-zone site (zone <c>z</c>) of these points and outputs, plus <paramref name="extra"/> sections.</summary>
    internal static ConfigResult Site(string points, string outputs, string extra = "") =>
        GatewayConfigReader.Read(TestConfigs.FromJson($$"""
            { "EdgeGuard": { "site": "s", "gateway": "g", "stateDirectory": "state",
              "hardware": { "driver": "libgpiod", "chip": "0" },
              "zones": [ { "id": "z" } ],
              "points": [ {{points}} ],
              "outputs": [ {{outputs}} ]{{extra}} } }
            """));

    [Fact]
    public void Panic_buttons_on_a_site_without_a_lock_are_refused_because_their_lockdown_locks_nothing()
    {
        var result = Site($"{Panic}, {Key}", Siren, """, "lockdown": { "clearKeyswitches": [ "key" ] }""");

        var error = Assert.Single(result.Errors);
        Assert.Equal("EdgeGuard:outputs", error.Path);
        Assert.Contains("there is no lock output, so the lockdown (started by panic button 'panic') would lock nothing", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_gateway_that_only_watches_needs_neither_a_lock_nor_a_clear_keyswitch()
    {
        // Nothing on site starts the lockdown; the office that might start one can end it.
        var result = Site($"{Door}, {Fence}", Siren);

        Assert.True(result.IsValid, result.ToReport());
        Assert.Empty(result.Config!.Site.Lockdown.ClearKeyswitches);
    }

    [Fact]
    public void A_silent_hold_up_button_starts_no_lockdown_so_it_needs_no_lock()
    {
        var silent = Panic.Replace("\"zone\"", "\"silent\": true, \"zone\"", StringComparison.Ordinal);

        var result = Site(silent, Siren);

        Assert.True(result.IsValid, result.ToReport());
    }

    [Fact]
    public void A_breach_that_starts_the_lockdown_needs_a_lock_and_a_clear_keyswitch()
    {
        var result = Site(Fence, Siren,
            """, "threatLevels": { "initial": 1, "levels": [ { "level": 1, "armedZones": [ "z" ], "breachStartsLockdown": true } ] }""");

        Assert.Equal(["EdgeGuard:outputs", "EdgeGuard:lockdown:clearKeyswitches"], result.Errors.Select(e => e.Path));
        Assert.All(result.Errors, e => Assert.Contains("a breach at threat level 1", e.Message, StringComparison.Ordinal));
    }

    // Only the siren was reported, and the missing clear keyswitch came up at the next validate.
    [Fact]
    public void A_lockdown_no_keyswitch_clears_is_reported_beside_an_outputs_error()
    {
        var badSiren = Siren.Replace("\"activeLevel\": \"high\"", "\"activeLevel\": \"hi\"", StringComparison.Ordinal);

        var result = Site($"{Panic}, {Key}", badSiren, """, "lockdown": { }""");

        // The site has no lock either (EdgeGuard:outputs): a broken siren cannot be the one looked for.
        Assert.Equal(["EdgeGuard:outputs:0:activeLevel", "EdgeGuard:outputs", "EdgeGuard:lockdown:clearKeyswitches"], result.Errors.Select(e => e.Path));
    }

    // Any output error skipped every check that looks at outputs: a mistyped indicator hid the fire input
    // that releases no lock until the next validate. An indicator is none of what the checks look for.
    [Fact]
    public void A_broken_indicator_does_not_hide_a_fire_input_that_releases_no_lock()
    {
        var fire = """{ "id": "fire", "kind": "fireAlarm", "line": 26, "activeLevel": "high", "pull": "up", "zone": "z" }""";
        var badLamp = """{ "id": "lamp", "kind": "indicator", "line": 20, "activeLevel": "hi", "zone": "z" }""";

        var result = Site($"{fire}, {Key}", $"{Siren}, {badLamp}", """, "lifeSafety": { "fireResetKeyswitches": [ "key" ] }""");

        Assert.Equal(["EdgeGuard:outputs:1:activeLevel", "EdgeGuard:outputs"], result.Errors.Select(e => e.Path));
        Assert.Contains("fire inputs (fire) release every egress lock, but there is no lock output", result.Errors[1].Message, StringComparison.Ordinal);
    }

    // A broken siren can only be the siren the sound checks look for, never a lock.
    [Fact]
    public void A_broken_siren_does_not_hide_a_lockdown_that_locks_nothing_but_is_not_reported_as_missing()
    {
        var badSiren = Siren.Replace("\"activeLevel\": \"high\"", "\"activeLevel\": \"hi\"", StringComparison.Ordinal);

        var result = Site($"{Panic}, {Key}", badSiren, """, "lockdown": { "clearKeyswitches": [ "key" ] }""");

        Assert.Equal(["EdgeGuard:outputs:0:activeLevel", "EdgeGuard:outputs"], result.Errors.Select(e => e.Path));
        Assert.Contains("there is no lock output, so the lockdown (started by panic button 'panic') would lock nothing", result.Errors[1].Message, StringComparison.Ordinal);
    }

    // An output whose kind could not be read could be the lock, siren or strobe looked for: nothing is
    // reported as missing that it might be.
    [Fact]
    public void An_output_of_unknown_kind_is_not_followed_by_errors_it_might_answer()
    {
        var fire = """{ "id": "fire", "kind": "fireAlarm", "line": 26, "activeLevel": "high", "pull": "up", "zone": "z" }""";
        var lok = """{ "id": "lock", "kind": "lok", "line": 12, "activeLevel": "high", "zone": "z" }""";

        var result = Site($"{fire}, {Panic}, {Key}", lok,
            """, "lockdown": { "clearKeyswitches": [ "key" ] }, "lifeSafety": { "fireResetKeyswitches": [ "key" ] }""");

        Assert.Equal(["EdgeGuard:outputs:0:kind"], result.Errors.Select(e => e.Path));
    }

    [Fact]
    public void A_fire_input_on_a_site_without_a_lock_is_refused()
    {
        var fire = """{ "id": "fire", "kind": "fireAlarm", "line": 26, "activeLevel": "high", "pull": "up", "zone": "z" }""";

        var result = Site($"{fire}, {Key}", Siren, """, "lifeSafety": { "fireResetKeyswitches": [ "key" ] }""");

        var error = Assert.Single(result.Errors);
        Assert.Equal("EdgeGuard:outputs", error.Path);
        Assert.Contains("fire inputs (fire) release every egress lock, but there is no lock output", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_lock_whose_egress_key_is_misspelt_is_reported_once_not_also_as_a_fire_releasing_nothing()
    {
        var result = TestConfigs.Read(k => { k.RenameKey("outputs:0:egress", "egres"); k.Drop("outputs:0:hardwiredExit"); });

        Assert.Equal(["EdgeGuard:outputs:0:egres"], result.Errors.Select(e => e.Path));
    }

    [Fact]
    public void An_external_pull_stated_for_a_line_without_its_own_is_checked_and_kept_as_no_pull()
    {
        var result = TestConfigs.Read(k =>
        {
            k.Set("points:3:pull", "none");
            k.Set("points:3:externalPull", "up");
        });

        Assert.True(result.IsValid, result.ToReport());
        Assert.Equal(LinePull.None, result.Config!.Site.Point("panic-lobby").Pull);
    }

    [Fact]
    public void An_exit_button_debounce_of_exactly_the_cap_is_accepted()
    {
        var result = TestConfigs.Read(k => k.Set("points:7:debounceMs", "500"));

        Assert.True(result.IsValid, result.ToReport());
        Assert.Equal(TimeSpan.FromMilliseconds(GatewayConfigReader.MaxRequestToExitDebounceMs), result.Config!.Site.Point("rex-lobby").Debounce);
    }

    [Fact]
    public void A_panic_button_may_not_trigger_a_scenario_that_leaves_out_its_own_zone_and_every_such_trigger_is_listed()
    {
        var result = TestConfigs.Read(k =>
        {
            // The guardroom gets a door: a button with no lock in its zone has none to leave open.
            k.Set("outputs:5:id", "lock-guardroom");
            k.Set("outputs:5:kind", "lock");
            k.Set("outputs:5:line", "18");
            k.Set("outputs:5:activeLevel", "high");
            k.Set("outputs:5:zone", "guardroom");
            k.Set("outputs:5:failMode", "failSecure");
            // A shelter over the chancery only, pressed in the lobby or the guardroom: neither
            // press would lock the doors where it was pressed.
            k.Set("scenarios:1:id", "shelter-chancery");
            k.Set("scenarios:1:mode", "shelterInPlace");
            k.Set("scenarios:1:zones:0", "chancery");
            k.Set("scenarios:1:rank", "60");
            k.Set("scenarios:1:triggers:0", "panic-lobby");
            k.Set("scenarios:1:triggers:1", "panic-guardroom");
            k.Set("scenarios:1:releasers:0", "key-guardroom");
            // A lobby lockdown: right for the lobby's button, not for the guardroom's.
            k.Set("scenarios:2:id", "lockdown-lobby");
            k.Set("scenarios:2:mode", "lockdown");
            k.Set("scenarios:2:zones:0", "lobby");
            k.Set("scenarios:2:rank", "150");
            k.Set("scenarios:2:triggers:0", "panic-lobby");
            k.Set("scenarios:2:triggers:1", "panic-guardroom");
            k.Set("scenarios:2:releasers:0", "key-guardroom");
            k.Set("mqtt:port", "abc");
        });

        Assert.Equal(
            ["EdgeGuard:scenarios:1:triggers:0", "EdgeGuard:scenarios:1:triggers:1",
             "EdgeGuard:scenarios:2:triggers:1", "EdgeGuard:mqtt:port"],
            result.Errors.Select(e => e.Path));
        var guardroom = result.Errors[1].Message;
        Assert.StartsWith("scenario 'shelter-chancery': ", guardroom, StringComparison.Ordinal);
        Assert.Contains("panic button 'panic-guardroom' is in zone 'guardroom'", guardroom, StringComparison.Ordinal);
        Assert.Contains("this shelterInPlace scenario covers only chancery", guardroom, StringComparison.Ordinal);
        Assert.Contains("add zone 'guardroom' to its zones, leave its zones empty", guardroom, StringComparison.Ordinal);
        Assert.Contains("panic button 'panic-lobby' is in zone 'lobby'", result.Errors[0].Message, StringComparison.Ordinal);
        Assert.Contains("scenario 'lockdown-lobby'", result.Errors[2].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_panic_button_may_trigger_a_scenario_over_every_zone_or_over_its_own()
    {
        var result = TestConfigs.Read(k =>
        {
            k.Set("scenarios:1:id", "shelter-all");
            k.Set("scenarios:1:mode", "shelterInPlace");
            k.Set("scenarios:1:rank", "60");
            k.Set("scenarios:1:triggers:0", "panic-guardroom");
            k.Set("scenarios:1:releasers:0", "key-guardroom");
            k.Set("scenarios:2:id", "lockdown-lobby");
            k.Set("scenarios:2:mode", "lockdown");
            k.Set("scenarios:2:zones:0", "lobby");
            k.Set("scenarios:2:rank", "150");
            k.Set("scenarios:2:triggers:0", "panic-lobby");
            k.Set("scenarios:2:releasers:0", "key-guardroom");
        });

        Assert.True(result.IsValid, result.ToReport());
    }

    [Fact]
    public void The_lockdown_must_cover_the_zone_of_every_panic_button_where_there_is_a_lock()
    {
        var result = TestConfigs.Read(k =>
        {
            // The guardroom gets a door; the lockdown covers only the chancery, so neither the
            // lobby's nor the guardroom's button would lock the doors where it was pressed.
            k.Set("outputs:5:id", "lock-guardroom");
            k.Set("outputs:5:kind", "lock");
            k.Set("outputs:5:line", "18");
            k.Set("outputs:5:activeLevel", "high");
            k.Set("outputs:5:zone", "guardroom");
            k.Set("outputs:5:failMode", "failSecure");
            k.Set("lockdown:zones:0", "chancery");
            k.Set("mqtt:port", "abc");
        });

        // The chancery holds no siren or strobe either: the third error says the lockdown sounds nowhere.
        Assert.Equal(["EdgeGuard:lockdown:zones", "EdgeGuard:lockdown:zones", "EdgeGuard:lockdown:zones", "EdgeGuard:mqtt:port"],
            result.Errors.Select(e => e.Path));
        Assert.Contains("would sound nothing anywhere on site", result.Errors[2].Message, StringComparison.Ordinal);
        var lobby = result.Errors[0].Message;
        Assert.Contains("panic button 'panic-lobby' is in zone 'lobby', where there is a lock (lock-lobby)", lobby, StringComparison.Ordinal);
        Assert.Contains("the built-in lockdown its press starts covers only chancery", lobby, StringComparison.Ordinal);
        Assert.Contains("add zone 'lobby' to lockdown.zones, or leave its zones empty", lobby, StringComparison.Ordinal);
        Assert.Contains("panic button 'panic-guardroom' is in zone 'guardroom', where there is a lock (lock-guardroom)",
            result.Errors[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_lockdown_may_leave_out_zones_without_a_lock_and_silent_buttons()
    {
        var result = TestConfigs.Read(k =>
        {
            // The guardroom's button has no door, siren or strobe near it (the siren is moved to
            // the chancery); the lobby's is a silent hold-up, which starts no lockdown at all.
            k.Set("lockdown:zones:0", "chancery");
            k.Set("outputs:2:zone", "chancery");
            k.Set("points:3:silent", "true");
        });

        Assert.True(result.IsValid, result.ToReport());
    }

    [Fact]
    public void The_lockdown_must_cover_the_zone_of_a_panic_button_where_the_siren_is()
    {
        // The guardroom has no lock, but the site's only siren: a lockdown over the chancery alone
        // would sound it nowhere when the guardroom's button is pressed.
        var result = TestConfigs.Read(k =>
        {
            k.Set("lockdown:zones:0", "chancery");
            k.Set("lockdown:zones:1", "lobby");
        });

        var error = Assert.Single(result.Errors);
        Assert.Equal("EdgeGuard:lockdown:zones", error.Path);
        Assert.Contains("panic button 'panic-guardroom' is in zone 'guardroom', where there is a siren or strobe (siren-main)", error.Message, StringComparison.Ordinal);
        Assert.Contains("sound none of the sirens or strobes where it was pressed", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_lockdown_must_cover_a_siren_or_strobe_somewhere_when_the_site_has_one()
    {
        // The guardroom's button is silent and the lobby has nothing but its lock once its strobe
        // moves to the perimeter: a lockdown over the chancery and the lobby sounds nowhere.
        var result = TestConfigs.Read(k =>
        {
            k.Set("lockdown:zones:0", "chancery");
            k.Set("lockdown:zones:1", "lobby");
            k.Set("points:4:silent", "true");
            k.Set("outputs:3:zone", "perimeter");
        });

        var error = Assert.Single(result.Errors);
        Assert.Equal("EdgeGuard:lockdown:zones", error.Path);
        Assert.Contains("where there is no siren or strobe, so the lockdown (started by panic button 'panic-lobby'", error.Message, StringComparison.Ordinal);
        Assert.Contains("siren-main in guardroom, strobe-lobby in perimeter", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_lockdown_may_leave_out_the_zone_of_a_button_whose_press_starts_a_scenario_over_it()
    {
        var result = TestConfigs.Read(k =>
        {
            // The lobby's button starts the lobby lockdown, ranked over the built-in one, which it
            // then never starts: the lobby's doors are locked by the scenario, not by lockdown.zones.
            k.Set("lockdown:zones:0", "chancery");
            k.Set("outputs:2:zone", "chancery"); // the guardroom's button then leaves nothing undone
            k.Set("scenarios:1:id", "lock-lobby");
            k.Set("scenarios:1:mode", "lockdown");
            k.Set("scenarios:1:zones:0", "lobby");
            k.Set("scenarios:1:rank", "150");
            k.Set("scenarios:1:triggers:0", "panic-lobby");
            k.Set("scenarios:1:releasers:0", "key-guardroom");
        });

        Assert.True(result.IsValid, result.ToReport());
        Assert.Equal("lock-lobby", result.Config!.Site.ScenarioTriggeredBy("panic-lobby", drill: false)!.Id);
    }

    [Fact]
    public void The_new_problems_are_listed_at_once_with_the_others()
    {
        var result = TestConfigs.Read(k =>
        {
            k.Set("points:0:activeLevel", "low");     // a cut door loop reads closed
            k.Set("points:7:debounceMs", "2000");     // exit button held for 2 s
            k.Drop("lockdown:clearKeyswitches");     // no one on site can clear a panic lockdown
            k.Set("lockdown:zones:0", "perimeter");   // the lockdown covers no lock
            k.Set("mqtt:port", "abc");                // not a number
        });

        Assert.Equal(
            ["EdgeGuard:points:0:activeLevel", "EdgeGuard:points:7:debounceMs",
             "EdgeGuard:lockdown:zones", "EdgeGuard:lockdown:clearKeyswitches", "EdgeGuard:mqtt:port"],
            result.Errors.Select(e => e.Path));
    }
}
