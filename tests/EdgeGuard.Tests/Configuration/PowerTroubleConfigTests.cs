using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Tests.Configuration;

/// <summary>A power supply's trouble contact (<c>powerTrouble</c>): read, raised as an alarm, and wired so a cut reads trouble.</summary>
public sealed class PowerTroubleConfigTests
{
    private static void AddTroubleContact(Dictionary<string, string?> k, string activeLevel)
    {
        k.Set("points:11:id", "psu-main");
        k.Set("points:11:kind", "powerTrouble");
        k.Set("points:11:line", "8");
        k.Set("points:11:activeLevel", activeLevel);
        k.Set("points:11:pull", "up");
        k.Set("points:11:zone", "guardroom");
    }

    [Fact]
    public void A_trouble_contact_is_read_with_its_own_debounce_and_its_activation_is_an_alarm()
    {
        var result = TestConfigs.Read(k => AddTroubleContact(k, activeLevel: "high")); // normally closed to ground: a cut reads high

        Assert.True(result.IsValid, result.ToReport());
        var psu = result.Config!.Site.Point("psu-main");
        Assert.Equal((PointKind.PowerTrouble, TimeSpan.FromSeconds(1), true), (psu.Kind, psu.Debounce, psu.CanBeBypassed));
        Assert.Equal(Severity.Alarm, new PointActivated(DateTimeOffset.UnixEpoch, psu.Id, psu.Kind, psu.Zone).Severity);
    }

    [Fact]
    public void A_trouble_contact_whose_cut_would_read_healthy_is_refused()
    {
        var result = TestConfigs.Read(k => AddTroubleContact(k, activeLevel: "low"));

        TestConfigs.AssertError(result, "EdgeGuard:points:11:activeLevel",
            ["powerTrouble must read trouble when its cable is cut", "hides a power supply running down its battery"]);
    }
}
