using System.Collections.Immutable;
using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Core.Tests;

/// <summary>
/// A scenario command (lockdown, evacuate, shelter, drill start) signed before the two-person
/// all-clear that has since ended the site's scenarios is refused as <c>superseded</c>, however
/// late it arrives. Held back on the broker and delivered after the all-clear, it was obeyed: the
/// site went back into the evacuation or lockdown the office had already ended, and was answered
/// done. The reverse (an all-clear signed before the start it would end) was refused already.
/// </summary>
public sealed class SupersededScenarioTests
{
    private static readonly Site.SiteDefinition Site = TestSite.Create("a", "b");

    private static SiteState Quiet(double at = 0) =>
        SiteState.Restore(Site, SafetyState.Initial, ImmutableDictionary<string, bool>.Empty, TestSite.At(at));

    private static Decision Run(SiteState state, VerifiedCommand command, double at) =>
        SiteDecider.Decide(Site, state, new OfficeCommandInput(command), TestSite.At(at));

    private static SiteState Press(SiteState state, string point, double at)
    {
        var pressed = SiteDecider.Decide(Site, state, new PointChanged(point, true), TestSite.At(at)).State;
        return SiteDecider.Decide(Site, pressed, new PointChanged(point, false), TestSite.At(at + 0.5)).State;
    }

    private static VerifiedCommand AllClear(double issuedAt, string op) => TestSite.SignedAt(issuedAt, CommandType.AllClear, op);

    // A panic press locks the site down at 5 s: the scenario the office later ends.
    private static SiteState LockedDown() => Press(Quiet(), "panic-a", 5);

    // Two supervisors' all-clears, each delivered a second after it was signed.
    private static SiteState Cleared(SiteState state, VerifiedCommand first, VerifiedCommand second)
    {
        var cleared = Run(Run(state, first, Seconds(first) + 1).State, second, Seconds(second) + 1);
        Assert.Equal(SiteMode.Normal, cleared.State.Mode);
        return cleared.State;
    }

    private static double Seconds(VerifiedCommand command) => (command.Command.IssuedAt - TestSite.At(0).Utc).TotalSeconds;

    private static VerifiedCommand Start(double issuedAt, CommandType type) => type == CommandType.DrillStart
        ? TestSite.SignedAt(issuedAt, type, "sup-3", OperatorRole.Supervisor, ("scenario", new JsonStringItem("lockdown")))
        : TestSite.SignedAt(issuedAt, type, "sup-3");

    private static string Refusal(Decision decision) => Assert.IsType<CommandRefused>(decision.Events[^1]).Reason;

    [Theory]
    [InlineData(CommandType.Evacuate)]
    [InlineData(CommandType.Lockdown)]
    [InlineData(CommandType.Shelter)]
    [InlineData(CommandType.DrillStart)]
    public void A_scenario_command_signed_before_the_all_clear_that_ended_the_scenario_is_refused(CommandType type)
    {
        // Signed at 10 s, during the lockdown, and held back on the broker; both supervisors
        // signed the all-clear after it (40 s, 45 s) and it ended the lockdown.
        var heldBack = Start(10, type);
        var first = AllClear(40, "sup-1");
        var cleared = Cleared(LockedDown(), first, AllClear(45, "sup-2"));

        // Delivered at 60 s, still valid (expires at 70 s).
        var late = Run(cleared, heldBack, 60);

        Assert.Equal(SiteMode.Normal, late.State.Mode);
        Assert.Null(late.State.Lockdown);
        Assert.DoesNotContain(late.Events, e => e is LockdownStarted or LockdownRetriggered);
        Assert.Equal(
            $"superseded: signed at {WireTime.Format(TestSite.At(10).Utc)}, before the all-clear {first.Command.Id} signed at "
            + $"{WireTime.Format(TestSite.At(40).Utc)}, the first approval of the two that ended the scenarios running then; "
            + "sign it again if it is still wanted",
            Refusal(late));
        Assert.Equal(heldBack.Command.Id, Assert.IsType<CommandRefused>(Assert.Single(late.Events)).CommandId);
    }

    [Theory]
    [InlineData(CommandType.Evacuate, SiteMode.Evacuation)]
    [InlineData(CommandType.Lockdown, SiteMode.Lockdown)]
    [InlineData(CommandType.Shelter, SiteMode.ShelterInPlace)]
    public void A_scenario_command_signed_after_the_all_clear_is_carried_out(CommandType type, SiteMode mode)
    {
        var cleared = Cleared(LockedDown(), AllClear(40, "sup-1"), AllClear(45, "sup-2"));

        var after = Run(cleared, Start(50, type), 60);

        Assert.Equal(mode, after.State.Mode);
        Assert.IsType<CommandDone>(after.Events[^1]);
    }

    [Fact]
    public void A_scenario_command_signed_between_the_two_approvals_is_carried_out()
    {
        // The first supervisor approved at 40 s without knowing of an evacuation signed at 42 s:
        // delivered in time it would have voided that approval. Two-person means both weighed it.
        var heldBack = Start(42, CommandType.Evacuate);
        var cleared = Cleared(LockedDown(), AllClear(40, "sup-1"), AllClear(45, "sup-2"));

        var late = Run(cleared, heldBack, 60);

        Assert.Equal(SiteMode.Evacuation, late.State.Mode);
        Assert.IsType<CommandDone>(late.Events[^1]);
    }

    [Fact]
    public void One_approval_alone_supersedes_nothing()
    {
        // The lockdown still runs: nothing has been ended, so an older evacuation takes it over.
        var pending = Run(LockedDown(), AllClear(40, "sup-1"), 41);
        Assert.Equal(SiteMode.Lockdown, pending.State.Mode);

        var late = Run(pending.State, Start(10, CommandType.Evacuate), 60);

        Assert.Equal(SiteMode.Evacuation, late.State.Mode);
        Assert.IsType<CommandDone>(late.Events[^1]);
    }

    [Fact]
    public void A_panic_press_after_the_all_clear_still_locks_the_site_down()
    {
        var cleared = Cleared(LockedDown(), AllClear(40, "sup-1"), AllClear(45, "sup-2"));

        var pressed = SiteDecider.Decide(Site, cleared, new PointChanged("panic-b", true), TestSite.At(60));

        Assert.Equal(SiteMode.Lockdown, pressed.State.Mode);
        Assert.Contains(pressed.Events, e => e is LockdownStarted);
    }

    [Fact]
    public void A_scenario_command_held_back_past_a_new_scenario_after_the_all_clear_is_still_refused()
    {
        // Ended at 45 s, locked down again by a press at 50 s: the evacuation signed at 10 s was
        // about the lockdown the office ended, not this one.
        var again = Press(Cleared(LockedDown(), AllClear(40, "sup-1"), AllClear(45, "sup-2")), "panic-b", 50);

        var late = Run(again, Start(10, CommandType.Evacuate), 60);

        Assert.Equal(SiteMode.Lockdown, late.State.Mode);
        Assert.StartsWith("superseded: ", Refusal(late), StringComparison.Ordinal);
    }

    [Fact]
    public void A_restart_does_not_refuse_a_scenario_command_signed_before_it()
    {
        // The restart forgets when the last all-clear was signed, but it does not stand in for one:
        // refusing every lockdown queued across a reboot would refuse a real one.
        var restarted = Quiet(100);

        var lockdown = Run(restarted, Start(90, CommandType.Lockdown), 105);

        Assert.Equal(SiteMode.Lockdown, lockdown.State.Mode);
        Assert.IsType<CommandDone>(lockdown.Events[^1]);
    }

    [Fact]
    public void An_all_clear_signed_before_the_office_s_start_it_would_end_is_refused()
    {
        // The reverse order, refused already: the start is the latest alert the approvals must post-date.
        var evacuation = Run(Quiet(), Start(50, CommandType.Evacuate), 51).State;

        var late = Run(Run(evacuation, AllClear(40, "sup-1"), 55).State, AllClear(45, "sup-2"), 56);

        Assert.Equal(SiteMode.Evacuation, late.State.Mode);
        Assert.Equal($"signed before the latest alert at {WireTime.Format(TestSite.At(51).Utc)}; approve again", Refusal(late));
    }

    [Fact]
    public void Consoles_clocks_may_disagree_by_twice_the_skew_so_a_lockdown_signed_within_that_before_the_all_clear_is_obeyed()
    {
        // Allowed 30 s each way, the approver's console may run 60 s ahead of the one that sends the
        // lockdown: signed 50 s "before" the all-clear, it may have been sent just after it.
        var skew = TimeSpan.FromSeconds(30);
        var cleared = Cleared(LockedDown(), AllClear(100, "sup-1"), AllClear(105, "sup-2"));

        var within = Run(cleared, Start(50, CommandType.Lockdown) with { ClockSkew = skew }, 110);
        Assert.Equal(SiteMode.Lockdown, within.State.Mode);

        var beyond = Run(cleared, Start(39, CommandType.Lockdown) with { ClockSkew = skew }, 110);
        Assert.StartsWith("superseded: ", Refusal(beyond), StringComparison.Ordinal);
        Assert.Equal(SiteMode.Normal, beyond.State.Mode);
    }
}
