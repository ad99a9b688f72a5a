using EdgeGuard.Configuration;

namespace EdgeGuard.Tests.Configuration;

/// <summary>Threat levels and silent hold-up buttons in config.</summary>
public sealed class ThreatConfigTests
{
    public static TheoryData<string, string, string, string> Broken => new()
    {
        // key to set, its value, the path the error must name, a fragment of its message
        { "threatLevels:initial", "4", "EdgeGuard:threatLevels:initial", "initial level 4 is not one of the levels defined: 1, 3, 5" },
        { "threatLevels:levels:1:level", "1", "EdgeGuard:threatLevels:levels:1:level", "level 1 is defined twice" },
        { "threatLevels:levels:2:armedZones:1", "annex", "EdgeGuard:threatLevels:levels:2:armedZones:1", "zone 'annex' is not defined" },
        { "threatLevels:levels:2:heldOpenSeconds", "0", "EdgeGuard:threatLevels:levels:2:heldOpenSeconds", "0 is out of range" },
        { "threatLevels:levels:0:selectKeyswitches:0", "fence-north", "EdgeGuard:threatLevels:levels:0:selectKeyswitches:0", "only keyswitch points can set a threat level" },
        { "points:0:silent", "true", "EdgeGuard:points:0:silent", "silent applies only to panic buttons" },
        { "threatLevels:levels:2:selectKeyswitches:0", "key-guardroom", "EdgeGuard:threatLevels:levels:2:selectKeyswitches", "'key-guardroom' also starts or ends a scenario" },
    };

    [Theory]
    [MemberData(nameof(Broken))]
    public void A_broken_threat_level_or_silent_point_is_reported_at_its_key(string key, string value, string path, string fragment)
    {
        var result = TestConfigs.Read(k => k.Set(key, value));

        var error = Assert.Single(result.Errors);
        Assert.Equal(path, error.Path);
        Assert.Contains(fragment, error.Message, StringComparison.Ordinal);
    }

    // Each hid others until it was fixed: a levels value that is not a list hid the time zone, a bad
    // level number hid the rest of its level, and a level number or a key repeated was compared only
    // with levels read without a problem.
    [Fact]
    public void A_broken_levels_list_does_not_hide_the_time_zone()
    {
        var result = TestConfigs.Read(k =>
        {
            k.Drop("threatLevels:levels");
            k.Set("threatLevels:levels", "many");
            k.Set("threatLevels:timeZone", "Mars/Olympus_Mons");
        });

        Assert.Equal(["EdgeGuard:threatLevels:levels", "EdgeGuard:threatLevels:timeZone"], result.Errors.Select(e => e.Path));
    }

    // The path was built from the levels sorted by number: with level 5 written first, its key was
    // reported at levels:2, the item that is level 1.
    [Fact]
    public void A_level_written_out_of_order_is_reported_at_its_own_item()
    {
        var result = TestConfigs.Read(k =>
        {
            k.Set("threatLevels:levels:0:level", "5");
            k.Set("threatLevels:levels:2:level", "1");
            k.Set("threatLevels:levels:0:selectKeyswitches:0", "key-guardroom");
        });

        var error = Assert.Single(result.Errors);
        Assert.Equal("EdgeGuard:threatLevels:levels:0:selectKeyswitches", error.Path);
        Assert.Contains("threat level 5: 'key-guardroom' also starts or ends a scenario", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_level_number_does_not_hide_the_rest_of_its_level()
    {
        var result = TestConfigs.Read(k =>
        {
            k.Set("threatLevels:levels:1:level", "0");
            k.Set("threatLevels:levels:1:armedZones:1", "annex");
        });

        Assert.Equal(["EdgeGuard:threatLevels:levels:1:level", "EdgeGuard:threatLevels:levels:1:armedZones:1"], result.Errors.Select(e => e.Path));
        Assert.StartsWith("the threat level at levels[1]: ", result.Errors[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_level_or_a_key_repeated_is_found_beside_the_first_levels_own_problem()
    {
        var result = TestConfigs.Read(k =>
        {
            k.Set("points:1:kind", "keyswitch"); // door-chancery becomes a free key for the test
            k.Set("points:1:activeLevel", "low");
            k.Drop("doors:0:contact");
            k.Set("threatLevels:levels:0:heldOpenSeconds", "0");
            k.Set("threatLevels:levels:0:selectKeyswitches:0", "door-chancery");
            k.Set("threatLevels:levels:1:selectKeyswitches:0", "door-chancery");
            k.Set("threatLevels:levels:2:level", "1");
        });

        Assert.Equal(
            ["EdgeGuard:threatLevels:levels:0:heldOpenSeconds", "EdgeGuard:threatLevels:levels:1:selectKeyswitches", "EdgeGuard:threatLevels:levels:2:level"],
            result.Errors.Select(e => e.Path));
        Assert.Contains("keyswitch 'door-chancery' already sets another level (threat level 1)", result.Errors[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_shipped_levels_are_read_and_a_silent_hold_up_is_not_a_lockdown_trigger()
    {
        var result = TestConfigs.Read(k => k.Set("points:4:silent", "true"));

        Assert.True(result.IsValid, result.ToReport());
        var site = result.Config!.Site;
        Assert.Equal([1, 3, 5], site.ThreatLevels.Select(l => l.Level));
        Assert.Equal(1, site.InitialThreatLevel);
        Assert.True(site.ThreatLevel(5).BreachStartsLockdown);
        Assert.Equal(TimeSpan.FromSeconds(5), site.ThreatLevel(5).HeldOpen);
        Assert.True(site.Point("panic-guardroom").Silent);
        Assert.Equal(["panic-lobby"], site.Scenarios[0].Triggers);
    }

    [Fact]
    public void Without_threat_levels_the_perimeter_zones_are_armed_at_one_default_level()
    {
        var result = TestConfigs.Read(k => k.Drop("threatLevels"));

        Assert.True(result.IsValid, result.ToReport());
        var level = result.Config!.Site.ThreatLevel(1);
        Assert.Equal(["perimeter"], level.ArmedZones);
        Assert.False(level.BreachStartsLockdown);
    }
}

/// <summary>Arming schedules and the site time zone in config.</summary>
public sealed class ArmingScheduleConfigTests
{
    public static TheoryData<string, string, string, string> Broken => new()
    {
        { "threatLevels:timeZone", "Mars/Olympus_Mons", "EdgeGuard:threatLevels:timeZone", "time zone 'Mars/Olympus_Mons' is not known" },
        { "threatLevels:levels:0:schedule:0:from", "6pm", "EdgeGuard:threatLevels:levels:0:schedule:0:from", "'6pm' is not a time of day written HH:mm" },
        { "threatLevels:levels:0:schedule:0:days:0", "funday", "EdgeGuard:threatLevels:levels:0:schedule:0:days:0", "'funday'" },
        { "threatLevels:levels:0:schedule:0:zones:0", "annex", "EdgeGuard:threatLevels:levels:0:schedule:0:zones:0", "zone 'annex' is not defined" },
        { "threatLevels:levels:0:schedule:0:to", "18:00", "EdgeGuard:threatLevels:levels:0:schedule:0:to", "opens and closes at 18:00" },
    };

    private static void NightWindow(Dictionary<string, string?> k)
    {
        k.Set("threatLevels:timeZone", "Europe/Berlin");
        k.Set("threatLevels:levels:0:schedule:0:zones:0", "lobby");
        k.Set("threatLevels:levels:0:schedule:0:days:0", "mon");
        k.Set("threatLevels:levels:0:schedule:0:from", "18:00");
        k.Set("threatLevels:levels:0:schedule:0:to", "07:00");
    }

    [Theory]
    [MemberData(nameof(Broken))]
    public void A_broken_schedule_is_reported_at_its_key(string key, string value, string path, string fragment)
    {
        var result = TestConfigs.Read(k =>
        {
            NightWindow(k);
            k.Set(key, value);
        });

        var error = Assert.Single(result.Errors);
        Assert.Equal(path, error.Path);
        Assert.Contains(fragment, error.Message, StringComparison.Ordinal);
    }

    // Lockdown and scenario zones left empty mean every zone, so a technician wrote a window the same
    // way: it validated, and arming by its schedule armed nothing.
    [Fact]
    public void A_window_with_no_zones_is_refused()
    {
        var result = TestConfigs.Read(k =>
        {
            k.Set("threatLevels:levels:0:schedule:0:days:0", "sat");
            k.Set("threatLevels:levels:0:schedule:0:from", "18:00");
            k.Set("threatLevels:levels:0:schedule:0:to", "06:00");
        });

        TestConfigs.AssertError(result, "EdgeGuard:threatLevels:levels:0:schedule:0:zones", "threat level 1", "a window with no zones arms nothing");
        Assert.Single(result.Errors);
    }

    // Each stopped the section at its first problem: the initial level hid the time zone, and the
    // first misspelt day hid the next.
    [Fact]
    public void A_wrong_initial_level_a_wrong_time_zone_and_every_misspelt_day_are_listed_at_once()
    {
        var initial = TestConfigs.Read(k =>
        {
            NightWindow(k);
            k.Set("threatLevels:initial", "4");
            k.Set("threatLevels:timeZone", "Europe/Berln");
        });
        var days = TestConfigs.Read(k =>
        {
            NightWindow(k);
            k.Set("threatLevels:levels:0:schedule:0:days:0", "tues");
            k.Set("threatLevels:levels:0:schedule:0:days:1", "wensday");
        });

        Assert.Equal(["EdgeGuard:threatLevels:initial", "EdgeGuard:threatLevels:timeZone"], initial.Errors.Select(e => e.Path));
        Assert.Equal(["EdgeGuard:threatLevels:levels:0:schedule:0:days:0", "EdgeGuard:threatLevels:levels:0:schedule:0:days:1"], days.Errors.Select(e => e.Path));
    }

    [Fact]
    public void A_night_window_is_read_with_the_site_time_zone()
    {
        var result = TestConfigs.Read(NightWindow);

        Assert.True(result.IsValid, result.ToReport());
        var site = result.Config!.Site;
        Assert.Equal("Europe/Berlin", site.TimeZone.Id);
        var window = Assert.Single(site.ThreatLevel(1).Schedule);
        Assert.Equal((new TimeOnly(18, 0), new TimeOnly(7, 0)), (window.From, window.To));
        Assert.Equal([DayOfWeek.Monday], window.Days);
        Assert.True(site.ThreatLevel(1).Arms("lobby", new DateTime(2026, 11, 23, 22, 0, 0)));
        Assert.False(site.ThreatLevel(1).Arms("lobby", new DateTime(2026, 11, 24, 22, 0, 0)));
    }
}
