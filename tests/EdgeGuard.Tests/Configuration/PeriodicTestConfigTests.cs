using EdgeGuard.Configuration;

namespace EdgeGuard.Tests.Configuration;

/// <summary>
/// <c>mqtt.periodicTestSeconds</c>: how often the gateway sends its periodic test
/// (<c>gateway.test</c>, Contact ID 602) to the office.
/// </summary>
public sealed class PeriodicTestConfigTests
{
    [Fact]
    public void Without_the_setting_the_gateway_tests_every_five_minutes()
    {
        var result = TestConfigs.Read(k => k.Drop("mqtt:periodicTestSeconds"));

        Assert.True(result.IsValid, result.ToReport());
        Assert.Equal(TimeSpan.FromMinutes(5), result.Config!.Site.PeriodicTestInterval);
        Assert.Equal(300, GatewayConfigReader.DefaultPeriodicTestSeconds);
    }

    [Theory]
    [InlineData("60", 60)]
    [InlineData("3600", 3600)]
    [InlineData("86400", 86400)]
    [InlineData("0", 0)]
    public void The_interval_is_read_and_zero_sends_no_test(string value, int seconds)
    {
        var result = TestConfigs.Read(k => k.Set("mqtt:periodicTestSeconds", value));

        Assert.True(result.IsValid, result.ToReport());
        Assert.Equal(TimeSpan.FromSeconds(seconds), result.Config!.Site.PeriodicTestInterval);
    }

    [Theory]
    [InlineData("59", "59 is out of range")]
    [InlineData("1", "1 is out of range")]
    [InlineData("86401", "86401 is out of range")]
    [InlineData("-5", "-5 is out of range")]
    [InlineData("5m", "not a whole number")]
    public void An_interval_outside_a_minute_to_a_day_is_refused_and_named(string value, string fragment)
    {
        var result = TestConfigs.Read(k => k.Set("mqtt:periodicTestSeconds", value));

        TestConfigs.AssertError(result, "EdgeGuard:mqtt:periodicTestSeconds", "periodicTestSeconds", fragment);
    }

    [Fact]
    public void An_interval_under_a_minute_is_told_the_range_and_the_way_to_turn_tests_off()
    {
        var result = TestConfigs.Read(k => k.Set("mqtt:periodicTestSeconds", "30"));

        TestConfigs.AssertError(result, "EdgeGuard:mqtt:periodicTestSeconds", "30 is out of range", "60..86400", "or 0 to send none");
    }

    [Fact]
    public void A_bad_interval_is_listed_with_the_config_s_other_problems()
    {
        var result = TestConfigs.Read(k =>
        {
            k.Set("mqtt:periodicTestSeconds", "30");
            k.Set("mqtt:keepAliveSeconds", "1");
        });

        TestConfigs.AssertError(result, "EdgeGuard:mqtt:periodicTestSeconds", "30 is out of range");
        TestConfigs.AssertError(result, "EdgeGuard:mqtt:keepAliveSeconds", "1 is out of range");
    }

    [Fact]
    public void The_shipped_sample_sets_the_default()
    {
        var result = GatewayConfigLoader.Load(TestConfigs.SamplePath, []);

        Assert.True(result.IsValid, result.ToReport());
        Assert.Equal(TimeSpan.FromMinutes(5), result.Config!.Site.PeriodicTestInterval);
        // Written out, so an installer sees the setting to change.
        Assert.Contains("\"periodicTestSeconds\": 300", File.ReadAllText(TestConfigs.SamplePath), StringComparison.Ordinal);
    }
}
