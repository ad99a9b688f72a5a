using EdgeGuard.Mqtt.Contract;

namespace EdgeGuard.Mqtt.Tests;

public sealed class TopicsTests
{
    [Fact]
    public void Every_topic_of_the_contract_hangs_under_the_gateway_root()
    {
        var topics = new Topics("embassy-north", "gw-lobby");

        Assert.Equal("edgeguard/v1/embassy-north/gw-lobby", topics.Root);
        Assert.Equal("edgeguard/v1/embassy-north/gw-lobby/availability", topics.Availability);
        Assert.Equal("edgeguard/v1/embassy-north/gw-lobby/events", topics.Events);
        Assert.Equal("edgeguard/v1/embassy-north/gw-lobby/state/lockdown", topics.LockdownState);
        Assert.Equal("edgeguard/v1/embassy-north/gw-lobby/state/points/door-lobby", topics.PointState("door-lobby"));
        Assert.Equal("edgeguard/v1/embassy-north/gw-lobby/commands", topics.Commands);
        Assert.Equal("edgeguard/v1/embassy-north/gw-lobby/command-results", topics.CommandResults);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a/b")]
    [InlineData("+")]
    [InlineData("site#")]
    [InlineData("nul\0")]
    public void A_site_gateway_or_point_that_would_change_topic_matching_is_rejected(string bad)
    {
        Assert.False(Topics.IsValidLevel(bad));
        Assert.Throws<ArgumentException>(() => new Topics(bad, "gw"));
        Assert.Throws<ArgumentException>(() => new Topics("site", bad));
        Assert.Throws<ArgumentException>(() => new Topics("site", "gw").PointState(bad));
    }

    [Fact]
    public void Null_is_not_a_level()
    {
        Assert.False(Topics.IsValidLevel(null));
        Assert.Throws<ArgumentException>(() => new Topics(null!, "gw"));
    }
}
