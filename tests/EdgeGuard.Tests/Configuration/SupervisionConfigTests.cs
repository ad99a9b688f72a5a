using EdgeGuard.Configuration;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Tests.Configuration;

public sealed class SupervisionConfigTests
{
    [Fact]
    public void Without_a_supervision_section_the_defaults_apply_and_no_point_is_watched_for_stuck()
    {
        var result = TestConfigs.Read(k => k.Drop("supervision"));

        Assert.True(result.IsValid, result.ToReport());
        Assert.Equal(SupervisionPolicy.Default, result.Config!.Site.Supervision);
        Assert.Equal(new SupervisionPolicy(8, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30)), SupervisionPolicy.Default);
        Assert.All(result.Config.Site.Points, p => Assert.Null(p.StuckAfter));
    }

    [Fact]
    public void Supervision_values_and_a_point_stuck_time_are_read()
    {
        var result = TestConfigs.Read(k =>
        {
            k.Set("supervision:chatterTransitions", "12");
            k.Set("supervision:chatterWindowSeconds", "20");
            k.Set("supervision:settleSeconds", "120");
            k.Set("supervision:holdSeconds", "5");
            k.Set("points:1:stuckAfterMinutes", "43200");
        });

        Assert.True(result.IsValid, result.ToReport());
        var site = result.Config!.Site;
        Assert.Equal(new SupervisionPolicy(12, TimeSpan.FromSeconds(20), TimeSpan.FromMinutes(2)) { HoldTime = TimeSpan.FromSeconds(5) }, site.Supervision);
        Assert.Equal(TimeSpan.FromDays(30), site.Point("door-chancery").StuckAfter);
        Assert.Null(site.Point("door-lobby").StuckAfter);
    }

    [Fact]
    public void Every_supervision_problem_is_reported_at_once()
    {
        var result = TestConfigs.Read(k =>
        {
            k.Set("supervision:chatterTransitions", "1");
            k.Set("supervision:settleSeconds", "never");
            k.Set("supervision:holdSeconds", "61");
            k.Set("points:2:stuckAfterMinutes", "-5");
        });

        Assert.Equal(
            ["EdgeGuard:points:2:stuckAfterMinutes", "EdgeGuard:supervision:chatterTransitions", "EdgeGuard:supervision:settleSeconds", "EdgeGuard:supervision:holdSeconds"],
            result.Errors.Select(e => e.Path));
    }

    [Fact]
    public void The_shipped_sample_sets_the_documented_supervision()
    {
        var loaded = GatewayConfigLoader.Build(TestConfigs.SamplePath);
        var result = GatewayConfigReader.Read(loaded.Configuration);

        Assert.True(result.IsValid, result.ToReport());
        Assert.Equal(SupervisionPolicy.Default, result.Config!.Site.Supervision);
    }
}
