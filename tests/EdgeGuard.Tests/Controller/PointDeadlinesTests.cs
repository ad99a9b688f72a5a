using EdgeGuard.Controller;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Tests.Controller;

public sealed class PointDeadlinesTests
{
    private static readonly PointDefinition[] Points =
        [.. new[] { "door-a", "door-b", "fence" }.Select((id, line) => new PointDefinition(id, PointKind.DoorContact, line, true, LinePull.Up, TimeSpan.FromMilliseconds(50), "zone"))];

    private static TimeSpan Ms(int ms) => TimeSpan.FromMilliseconds(ms);

    [Fact]
    public void Nothing_is_pending_until_a_point_has_a_deadline()
    {
        var deadlines = new PointDeadlines(Points);

        Assert.Null(deadlines.Earliest);
        deadlines.Set("door-b", null, null);
        Assert.Null(deadlines.Earliest);
    }

    [Fact]
    public void The_earliest_is_the_least_of_every_points_filter_and_supervisor()
    {
        var deadlines = new PointDeadlines(Points);

        deadlines.Set("door-a", Ms(300), Ms(900));
        deadlines.Set("door-b", null, Ms(200));
        deadlines.Set("fence", Ms(250), null);

        Assert.Equal(Ms(200), deadlines.Earliest);
    }

    [Fact]
    public void A_point_set_again_replaces_its_deadline_so_a_later_or_cleared_one_no_longer_counts()
    {
        var deadlines = new PointDeadlines(Points);
        deadlines.Set("door-a", Ms(100), null);
        deadlines.Set("fence", null, Ms(400));

        deadlines.Set("door-a", null, Ms(500));
        Assert.Equal(Ms(400), deadlines.Earliest);

        deadlines.Set("fence", null, null);
        Assert.Equal(Ms(500), deadlines.Earliest);

        deadlines.Set("door-a", null, null);
        Assert.Null(deadlines.Earliest);
    }

    [Fact]
    public void A_point_that_is_not_the_sites_is_refused()
    {
        var deadlines = new PointDeadlines(Points);

        Assert.Throws<KeyNotFoundException>(() => deadlines.Set("door-z", Ms(1), null));
    }
}
