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

    // With 8 changes in 10 s a point flapping every 1.2 s chatters; a 1 s hold would hand every
    // one of its levels on while it is "suppressed": an alarm per flap again.
    [Fact]
    public void A_hold_not_above_the_slowest_chatter_is_refused_naming_both_settings()
    {
        var result = TestConfigs.Read(k => k.Set("supervision:holdSeconds", "1"));

        var error = Assert.Single(result.Errors);
        Assert.Equal("EdgeGuard:supervision:holdSeconds", error.Path);
        Assert.Contains("holdSeconds 1", error.Message, StringComparison.Ordinal);
        Assert.Contains("chatterWindowSeconds 10", error.Message, StringComparison.Ordinal);
        Assert.Contains("chatterTransitions 8", error.Message, StringComparison.Ordinal);
        Assert.Contains("1.43 s", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_longer_window_makes_the_default_hold_too_short()
    {
        var result = TestConfigs.Read(k => k.Set("supervision:chatterWindowSeconds", "60"));

        var error = Assert.Single(result.Errors);
        Assert.Equal("EdgeGuard:supervision:holdSeconds", error.Path);
        Assert.Contains("holdSeconds 3", error.Message, StringComparison.Ordinal);
        Assert.Contains("chatterWindowSeconds 60", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_hold_not_above_a_suppressible_points_debounce_is_refused()
    {
        // Every filtered level of that fence holds at least its debounce: all would be handed on.
        var result = TestConfigs.Read(k => k.Set("points:2:debounceMs", "3000"));

        var error = Assert.Single(result.Errors);
        Assert.Equal("EdgeGuard:supervision:holdSeconds", error.Path);
        Assert.Contains("holdSeconds 3", error.Message, StringComparison.Ordinal);
        Assert.Contains("'fence-north'", error.Message, StringComparison.Ordinal);
        Assert.Contains("debounceMs 3000", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Points_never_suppressed_and_chatter_detection_off_put_no_bound_on_the_hold()
    {
        var panic = TestConfigs.Read(k => k.Set("points:3:debounceMs", "5000"));
        var off = TestConfigs.Read(k =>
        {
            k.Set("supervision:chatterTransitions", "0");
            k.Set("supervision:chatterWindowSeconds", "3600");
            k.Set("supervision:holdSeconds", "1");
        });
        var justAbove = TestConfigs.Read(k =>
        {
            k.Set("supervision:chatterTransitions", "3");
            k.Set("supervision:chatterWindowSeconds", "2");
            k.Set("supervision:holdSeconds", "2");
        });

        Assert.True(panic.IsValid, panic.ToReport());
        Assert.True(off.IsValid, off.ToReport());
        Assert.True(justAbove.IsValid, justAbove.ToReport());
    }

    [Fact]
    public void A_hold_too_short_for_the_chatter_is_listed_with_every_other_problem()
    {
        var result = TestConfigs.Read(k =>
        {
            k.Set("supervision:holdSeconds", "1");
            k.Set("points:2:debounceMs", "1000");
            k.Set("supervision:settleSeconds", "never");
        });

        Assert.Equal(
            ["EdgeGuard:supervision:settleSeconds", "EdgeGuard:supervision:holdSeconds", "EdgeGuard:supervision:holdSeconds"],
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
