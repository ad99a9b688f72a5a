using System.Text.Json;
using EdgeGuard.Core;
using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Journal.Tests;

// gateway.started's data: what the start restored, and what of the saved state it could not;
// kept apart from EventDataWriterTests.cs, which covers every other event.
public sealed partial class EventDataWriterTests
{
    [Fact]
    public void Gateway_started_carries_the_lowercase_mode_and_a_null_or_text_cause()
    {
        var normal = EventDataWriter.Describe(new GatewayStarted(At, SiteMode.Normal, null));
        var lockdown = EventDataWriter.Describe(new GatewayStarted(At, SiteMode.Lockdown, "panic-button"));

        AssertData(normal.DataJson, ("restoredMode", "normal"), ("lockdownCause", null), ("suspended", NoneSuspended));
        AssertData(lockdown.DataJson, ("restoredMode", "lockdown"), ("lockdownCause", "panic-button"), ("suspended", NoneSuspended));
        Assert.Null(normal.Point);
    }

    [Fact]
    public void Gateway_started_names_what_a_config_change_dropped_of_the_saved_state_only_when_something_was()
    {
        var kept = EventDataWriter.Describe(new GatewayStarted(At, SiteMode.Normal, null));
        var dropped = new GatewayStarted(At, SiteMode.Normal, null) { NotRestored = ["threat level 4 (no longer configured)", "door alarm Forced at door d (dropped)"] };

        using var data = JsonDocument.Parse(EventDataWriter.Describe(dropped).DataJson);

        Assert.DoesNotContain("notRestored", kept.DataJson, StringComparison.Ordinal);
        Assert.Equal(dropped.NotRestored, data.RootElement.GetProperty("notRestored").EnumerateArray().Select(e => e.GetString()!).ToList());
        Assert.Equal(Severity.Warning, dropped.Severity);
    }

    // A drill restored after a restart was reported with drill false and no scenario: on the
    // office's stream it looked like a real lockdown.
    [Fact]
    public void Gateway_started_of_a_restored_drill_is_a_drill_and_names_its_scenario()
    {
        var saved = new SafetyState(SiteMode.Lockdown, new LockdownInfo("keyswitch", "key-drill", At.AddMinutes(-3), "lockdown-annex", Drill: true), SirenSounding: false);

        var started = GatewayStarted.Restoring(At, saved);
        var normal = GatewayStarted.Restoring(At, SafetyState.Initial);

        Assert.True(started.Drill);
        AssertData(EventDataWriter.Describe(started).DataJson,
            ("restoredMode", "lockdown"), ("lockdownCause", "keyswitch"), ("scenario", "lockdown-annex"), ("suspended", NoneSuspended));
        Assert.False(normal.Drill);
        AssertData(EventDataWriter.Describe(normal).DataJson, ("restoredMode", "normal"), ("lockdownCause", null), ("suspended", NoneSuspended));
    }

    [Fact]
    public void Gateway_started_lists_the_suspended_scenarios_oldest_first_as_the_state_topic_does()
    {
        var shelter = new SuspendedScenario(SiteMode.ShelterInPlace, new LockdownInfo("keyswitch", "key-annex", At.AddMinutes(-9), "shelter-annex"));
        var evacuation = new SuspendedScenario(SiteMode.Evacuation, new LockdownInfo("office", null, At.AddMinutes(-4).AddTicks(5), "evac-east"));
        var started = new GatewayStarted(At, SiteMode.Lockdown, "panic-button") { Suspended = [shelter, evacuation] };

        using var data = JsonDocument.Parse(EventDataWriter.Describe(started).DataJson);

        var listed = data.RootElement.GetProperty("suspended").EnumerateArray()
            .Select(s => (s.GetProperty("scenario").GetString(), s.GetProperty("mode").GetString(), s.GetProperty("since").GetString()))
            .ToList();
        Assert.Equal(
            [("shelter-annex", "shelterInPlace", WireTime.Format(shelter.Info.Since)), ("evac-east", "evacuation", WireTime.Format(evacuation.Info.Since))],
            listed);
    }
}
