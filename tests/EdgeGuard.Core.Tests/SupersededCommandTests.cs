using System.Collections.Immutable;
using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Core.Tests;

/// <summary>
/// An office command signed before the latest one the gateway decided for the same thing (a
/// point's bypass, the threat level, the drill) is refused as <c>superseded</c>, however late it
/// arrives. Someone on the broker can hold a signed command back for its whole lifetime (up to
/// 15 min plus 30 s skew) and deliver it after the office's newer word: carried out, it undid
/// that word and was answered done (a point the office had put back in service bypassed for up
/// to 24 h). Commands were executed in arrival order only.
/// </summary>
public sealed class SupersededCommandTests
{
    private static readonly Site.SiteDefinition Site = TestSite.Create("a", "b");

    private static readonly string Until = WireTime.Format(TestSite.At(3600).Utc);

    private static SiteState Quiet(double at = 0) =>
        SiteState.Restore(Site, SafetyState.Initial, ImmutableDictionary<string, bool>.Empty, TestSite.At(at));

    private static VerifiedCommand Signed(double issuedAt, CommandType type, params (string Key, JsonItem Value)[] args) =>
        TestSite.SignedAt(issuedAt, type, "sup-1", OperatorRole.Supervisor, args);

    private static VerifiedCommand Bypass(double issuedAt, string point = "fence-c") =>
        Signed(issuedAt, CommandType.Bypass, ("point", new JsonStringItem(point)), ("until", new JsonStringItem(Until)));

    private static VerifiedCommand Unbypass(double issuedAt, string point = "fence-c") =>
        Signed(issuedAt, CommandType.Unbypass, ("point", new JsonStringItem(point)));

    private static VerifiedCommand Level(double issuedAt, int level) =>
        Signed(issuedAt, CommandType.SetThreatLevel, ("level", new JsonIntegerItem(level)));

    private static VerifiedCommand DrillStart(double issuedAt) =>
        Signed(issuedAt, CommandType.DrillStart, ("scenario", new JsonStringItem("lockdown")));

    private static VerifiedCommand DrillStop(double issuedAt) => Signed(issuedAt, CommandType.DrillStop);

    private static Decision Run(SiteState state, VerifiedCommand command, double at) =>
        SiteDecider.Decide(Site, state, new OfficeCommandInput(command), TestSite.At(at));

    // The decision's answer to the office: its last event, refused with this reason.
    private static string Refusal(Decision decision) => Assert.IsType<CommandRefused>(decision.Events[^1]).Reason;

    private static string Superseded(VerifiedCommand late, string what, VerifiedCommand newer) =>
        $"superseded: signed at {WireTime.Format(late.Command.IssuedAt)}, before the {CommandTypes.Wire(newer.Command.Type)} "
        + $"{newer.Command.Id} of {what} signed at {WireTime.Format(newer.Command.IssuedAt)}, which this gateway has decided; "
        + "sign it again if it is still wanted";

    [Fact]
    public void A_bypass_held_back_past_a_newer_bypass_and_unbypass_does_not_bypass_the_point_again()
    {
        // Signed at 10 s and held back on the broker; the office re-sent a bypass (40 s), then put
        // the point back in service (50 s).
        var heldBack = Bypass(10);
        var unbypass = Unbypass(50);
        var inService = Run(Run(Quiet(), Bypass(40), 41).State, unbypass, 51).State;
        Assert.Empty(inService.Bypasses);

        // Delivered at 60 s, still valid (expires at 70 s, plus 30 s skew).
        var late = Run(inService, heldBack, 60);

        Assert.Empty(late.State.Bypasses);
        Assert.DoesNotContain(late.Events, e => e is PointBypassed);
        Assert.Equal(Superseded(heldBack, "point 'fence-c'", unbypass), Refusal(late));
    }

    [Fact]
    public void An_unbypass_signed_before_the_bypass_carried_out_leaves_the_point_bypassed()
    {
        var bypassed = Run(Quiet(), Bypass(40), 41).State;

        var late = Run(bypassed, Unbypass(30), 45);

        Assert.True(late.State.Bypasses.ContainsKey("fence-c"));
        Assert.DoesNotContain(late.Events, e => e is PointUnbypassed);
        Assert.StartsWith("superseded: ", Refusal(late), StringComparison.Ordinal);
    }

    [Fact]
    public void A_bypass_held_back_past_an_unbypass_of_a_point_not_bypassed_is_superseded()
    {
        // The office's tool timed out on the bypass, so it sent an unbypass to be sure: refused
        // (nothing to end), but it is still the office's newer word on that point.
        var heldBack = Bypass(10);
        var unbypass = Unbypass(40);
        var notBypassed = Run(Quiet(), unbypass, 41);
        Assert.Equal("point 'fence-c' is not bypassed", Refusal(notBypassed));

        var late = Run(notBypassed.State, heldBack, 60);

        Assert.Empty(late.State.Bypasses);
        Assert.Equal(Superseded(heldBack, "point 'fence-c'", unbypass), Refusal(late));
    }

    [Fact]
    public void The_order_is_kept_per_point()
    {
        var doorUnbypassed = Run(Run(Quiet(), Bypass(40, "door-a"), 41).State, Unbypass(50, "door-a"), 51).State;

        // Signed before the door's unbypass, but about the fence: carried out.
        var fence = Run(doorUnbypassed, Bypass(10, "fence-c"), 60);

        Assert.IsType<CommandDone>(fence.Events[^1]);
        Assert.True(fence.State.Bypasses.ContainsKey("fence-c"));
    }

    [Fact]
    public void A_command_refused_for_what_it_asks_does_not_supersede_an_older_one()
    {
        // A bypass whose end is past changes nothing and says nothing newer about the point.
        var past = Signed(40, CommandType.Bypass, ("point", new JsonStringItem("fence-c")), ("until", new JsonStringItem(WireTime.Format(TestSite.At(1).Utc))));
        var refused = Run(Quiet(), past, 41);
        Assert.IsType<CommandRefused>(refused.Events[^1]);

        var older = Run(refused.State, Bypass(10), 60);

        Assert.IsType<CommandDone>(older.Events[^1]);
        Assert.True(older.State.Bypasses.ContainsKey("fence-c"));
    }

    [Fact]
    public void A_command_signed_at_the_same_time_as_the_last_one_decided_is_carried_out()
    {
        var bypassed = Run(Quiet(), Bypass(40), 41).State;

        var same = Run(bypassed, Unbypass(40), 42);

        Assert.IsType<CommandDone>(same.Events[^1]);
        Assert.Empty(same.State.Bypasses);
    }

    [Fact]
    public void A_threat_level_signed_before_the_level_set_last_does_not_change_it_back()
    {
        var critical = Level(40, 5);
        var raised = Run(Quiet(), critical, 41).State;
        Assert.Equal(5, raised.ThreatLevel);

        var heldBack = Level(10, 1);
        var late = Run(raised, heldBack, 60);

        Assert.Equal(5, late.State.ThreatLevel);
        Assert.DoesNotContain(late.Events, e => e is ThreatLevelChanged);
        Assert.Equal(Superseded(heldBack, "the threat level", critical), Refusal(late));
    }

    [Fact]
    public void A_threat_level_already_in_force_is_the_office_s_newer_word_too()
    {
        // "threat level already 1" is done; an older level 5 held back must not follow it.
        var same = Run(Quiet(), Level(40, 1), 41);
        Assert.IsType<CommandDone>(same.Events[^1]);

        var late = Run(same.State, Level(10, 5), 60);

        Assert.Equal(1, late.State.ThreatLevel);
        Assert.StartsWith("superseded: ", Refusal(late), StringComparison.Ordinal);
    }

    [Fact]
    public void A_drill_start_held_back_past_a_newer_start_and_stop_does_not_start_the_drill_again()
    {
        var heldBack = DrillStart(10);
        var stop = DrillStop(50);
        var ended = Run(Run(Quiet(), DrillStart(40), 41).State, stop, 51).State;
        Assert.Equal(SiteMode.Normal, ended.Mode);

        var late = Run(ended, heldBack, 60);

        Assert.Equal(SiteMode.Normal, late.State.Mode);
        Assert.DoesNotContain(late.Events, e => e is LockdownStarted);
        Assert.Equal(Superseded(heldBack, "the drill", stop), Refusal(late));
    }

    [Fact]
    public void A_drill_stop_signed_before_the_drill_start_carried_out_does_not_end_that_drill()
    {
        var drill = Run(Quiet(), DrillStart(40), 41).State;

        var late = Run(drill, DrillStop(30), 45);

        Assert.Equal(SiteMode.Lockdown, late.State.Mode);
        Assert.True(late.State.Lockdown!.Drill);
        Assert.StartsWith("superseded: ", Refusal(late), StringComparison.Ordinal);
    }

    [Fact]
    public void A_drill_start_held_back_past_a_stop_with_no_drill_running_is_superseded()
    {
        var stop = DrillStop(40);
        var nothing = Run(Quiet(), stop, 41);
        Assert.Equal("no drill is running", Refusal(nothing));

        var late = Run(nothing.State, DrillStart(10), 60);

        Assert.Equal(SiteMode.Normal, late.State.Mode);
        Assert.StartsWith("superseded: ", Refusal(late), StringComparison.Ordinal);
    }

    [Fact]
    public void After_a_restart_a_command_signed_before_it_is_superseded_and_one_signed_after_is_carried_out()
    {
        // What was decided before the restart is not saved: any of it may be newer than a
        // command signed before the restart, so that one is refused (sign it again).
        var restarted = Quiet(100);

        var before = Run(restarted, Bypass(90), 105);
        Assert.Empty(before.State.Bypasses);
        Assert.Equal(
            $"superseded: signed at {WireTime.Format(TestSite.At(90).Utc)}, before this gateway's restart at "
            + $"{WireTime.Format(TestSite.At(100).Utc)}, which forgot what it had decided for point 'fence-c'; sign it again if it is still wanted",
            Refusal(before));

        var after = Run(before.State, Bypass(101), 106);
        Assert.IsType<CommandDone>(after.Events[^1]);
        Assert.True(after.State.Bypasses.ContainsKey("fence-c"));
    }

    [Fact]
    public void Lockdown_and_all_clear_keep_their_own_rules()
    {
        // A drill stop decided at 50 s says nothing about a real lockdown signed at 10 s.
        var stopped = Run(Quiet(), DrillStop(50), 51).State;

        var lockdown = Run(stopped, Signed(10, CommandType.Lockdown), 60);

        Assert.Equal(SiteMode.Lockdown, lockdown.State.Mode);
        Assert.IsType<CommandDone>(lockdown.Events[^1]);
    }
}
