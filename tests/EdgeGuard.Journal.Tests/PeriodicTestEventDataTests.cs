using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Journal.Tests;

public sealed class PeriodicTestEventDataTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 7, 6, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_periodic_test_in_normal_mode_carries_the_interval_and_a_quiet_summary()
    {
        var fields = EventDataWriter.Describe(new GatewayTest(At, TimeSpan.FromMinutes(5), SiteMode.Normal, null));

        Assert.Null(fields.Point);
        Assert.Equal(
            """{"intervalSeconds":300,"mode":"normal","scenario":null,"scenarioDrill":false,"fireEgressReleased":false,"threatLevel":1,"activePoints":0,"bypassed":[],"unreadable":[],"chattering":[],"doorAlarms":[]}""",
            fields.DataJson);
    }

    [Fact]
    public void A_periodic_test_during_a_drill_names_the_scenario_and_every_list()
    {
        var test = new GatewayTest(At, TimeSpan.FromHours(24), SiteMode.ShelterInPlace, "shelter-b")
        {
            ScenarioDrill = true,
            FireEgressReleased = true,
            ThreatLevel = 4,
            ActivePoints = 7,
            Bypassed = ["door-a", "fence-c"],
            Unreadable = ["loop-1"],
            Chattering = ["fence-c"],
            DoorAlarms = ["door-egress"],
        };

        Assert.Equal(
            """{"intervalSeconds":86400,"mode":"shelterInPlace","scenario":"shelter-b","scenarioDrill":true,"fireEgressReleased":true,"threatLevel":4,"activePoints":7,"bypassed":["door-a","fence-c"],"unreadable":["loop-1"],"chattering":["fence-c"],"doorAlarms":["door-egress"]}""",
            EventDataWriter.Describe(test).DataJson);
    }
}
