using EdgeGuard.Mqtt.Publishing;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>The bounded memory of other instances behind <c>fault.duplicate-gateway</c>.</summary>
public sealed class DuplicateInstancesTests
{
    [Fact]
    public void Evidence_on_its_own_raises_each_instance_once()
    {
        var instances = new DuplicateInstances();

        Assert.True(instances.Add("aaaaaaaaaaaaaaaa"));
        Assert.False(instances.Add("aaaaaaaaaaaaaaaa"));
        Assert.False(instances.Sighted("aaaaaaaaaaaaaaaa", 9));
        Assert.True(instances.Add("bbbbbbbbbbbbbbbb"));
    }

    [Fact]
    public void An_equal_session_raises_only_when_seen_again_on_another_connection()
    {
        var instances = new DuplicateInstances();

        Assert.False(instances.Sighted("aaaaaaaaaaaaaaaa", 2));
        Assert.False(instances.Sighted("aaaaaaaaaaaaaaaa", 2)); // the same connection's copy again
        Assert.True(instances.Sighted("aaaaaaaaaaaaaaaa", 3));
        Assert.False(instances.Sighted("aaaaaaaaaaaaaaaa", 4));
        Assert.False(instances.Add("aaaaaaaaaaaaaaaa"));

        Assert.False(instances.Sighted("bbbbbbbbbbbbbbbb", 3));
        Assert.True(instances.Add("bbbbbbbbbbbbbbbb")); // stronger evidence after a first sighting
    }

    [Fact]
    public void No_more_than_the_capacity_is_remembered_or_raised()
    {
        var instances = new DuplicateInstances();
        var raised = Enumerable.Range(0, 100).Count(i => instances.Add($"{i:x16}"));

        Assert.Equal(DuplicateInstances.Capacity, raised);
        Assert.False(instances.Sighted("ffffffffffffffff", 1));
        Assert.False(instances.Sighted("ffffffffffffffff", 2)); // not remembered: no room
    }

    [Fact]
    public void First_sightings_count_towards_the_capacity()
    {
        var instances = new DuplicateInstances();
        for (var i = 0; i < DuplicateInstances.Capacity; i++)
        {
            Assert.False(instances.Sighted($"{i:x16}", 1));
        }

        Assert.False(instances.Add("ffffffffffffffff"));
        Assert.True(instances.Sighted($"{0:x16}", 2));
    }
}
