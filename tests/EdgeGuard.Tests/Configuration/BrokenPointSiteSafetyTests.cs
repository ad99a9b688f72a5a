using EdgeGuard.Configuration;

namespace EdgeGuard.Tests.Configuration;

/// <summary>
/// A point with an error of its own still counts in the whole-site checks by its kind, so a
/// technician's one validate lists the site's safety problems beside the point's: they came one
/// validate at a time (the point's error first, the fire input's missing reset keyswitch and egress
/// lock, or the panic button's missing clear keyswitch and lock, only once it was fixed). A point
/// whose kind could not be read, or a button whose <c>silent</c> could not (a silent hold-up starts
/// nothing), is not counted: it could be what makes the site right.
/// </summary>
public sealed class BrokenPointSiteSafetyTests
{
    private const string Fire = """{ "id": "fire-1", "kind": "fireAlarm", "line": 26, "activeLevel": "high", "pull": "up", "zone": "z" }""";
    private const string Panic = """{ "id": "panic-1", "kind": "panicButton", "line": 23, "activeLevel": "high", "pull": "up", "zone": "z" }""";

    private static string With(string point, string key) => point.Replace("\"zone\"", $"{key}, \"zone\"", StringComparison.Ordinal);

    [Fact]
    public void A_broken_fire_input_still_needs_a_reset_keyswitch_and_an_egress_lock()
    {
        var result = SiteSafetyConfigTests.Site(With(Fire, "\"stuckAfterMinutes\": 0"), SiteSafetyConfigTests.Siren);

        Assert.Equal(["EdgeGuard:points:0:stuckAfterMinutes", "EdgeGuard:lifeSafety:fireResetKeyswitches", "EdgeGuard:outputs"],
            result.Errors.Select(e => e.Path));
        Assert.Contains("fire inputs (fire-1) release every egress lock until a person resets them; name at least one keyswitch",
            result.Errors[1].Message, StringComparison.Ordinal);
        Assert.Contains("fire inputs (fire-1) release every egress lock, but there is no lock output, so a fire would open no door",
            result.Errors[2].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_broken_panic_button_still_starts_a_lockdown_that_must_lock_and_be_cleared_on_site()
    {
        var result = SiteSafetyConfigTests.Site(With(Panic, "\"debounceMs\": \"fast\""), SiteSafetyConfigTests.Siren, """, "lockdown": { }""");

        Assert.Equal(["EdgeGuard:points:0:debounceMs", "EdgeGuard:outputs", "EdgeGuard:lockdown:clearKeyswitches"],
            result.Errors.Select(e => e.Path));
        Assert.All(result.Errors.Skip(1), e => Assert.Contains("by panic button 'panic-1'", e.Message, StringComparison.Ordinal));
    }

    [Fact]
    public void A_point_whose_kind_or_silence_cannot_be_read_adds_no_site_errors()
    {
        var fireOfUnknownKind = With(Fire, "\"stuckAfterMinutes\": 0").Replace("fireAlarm", "fireAlarn", StringComparison.Ordinal);
        var maybeSilentPanic = With(Panic, "\"silent\": \"yes\"");

        var result = SiteSafetyConfigTests.Site($"{fireOfUnknownKind}, {maybeSilentPanic}", SiteSafetyConfigTests.Siren, """, "lockdown": { }""");

        Assert.Equal(["EdgeGuard:points:0:kind", "EdgeGuard:points:0:stuckAfterMinutes", "EdgeGuard:points:1:silent"],
            result.Errors.Select(e => e.Path));
    }
}
