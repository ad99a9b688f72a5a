using System.Collections.Immutable;
using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Core.Tests;

/// <summary>
/// A chattering panic button (its <c>fault.chatter</c> raised, its changes never withheld) keeps
/// the lockdown, but retriggers it at most once per chatter episode.
/// </summary>
public sealed class ChatteringPanicTests
{
    private static readonly Site.SiteDefinition Site = TestSite.Create();

    private static SiteState Boot() =>
        SiteState.Restore(Site, SafetyState.Initial, ImmutableDictionary<string, bool>.Empty, TestSite.At(0));

    private static Decision Decide(SiteState state, SiteInput input, double at) => SiteDecider.Decide(Site, state, input, TestSite.At(at));

    private static PointsSuppressed Chattering(params string[] points) =>
        new([]) { Chattering = ImmutableSortedSet.Create(StringComparer.Ordinal, points) };

    private static Decision AllClear(SiteState state, string op, double signedAt, double arrives) =>
        SiteDecider.Decide(Site, state, new OfficeCommandInput(TestSite.SignedAt(signedAt, CommandType.AllClear, op)), TestSite.At(arrives));

    /// <summary>Releases and presses the point again at <paramref name="at"/>; returns the press's events.</summary>
    private static (SiteState State, IReadOnlyList<DomainEvent> Events) PressAgain(SiteState state, string point, double at)
    {
        state = Decide(state, new PointChanged(point, false), at - 0.3).State;
        var press = Decide(state, new PointChanged(point, true), at);
        return (press.State, press.Events);
    }

    /// <summary>panic-a pressed, found chattering, pressed again (the episode's one retrigger) and let go, by 3.5 s.</summary>
    private static SiteState AfterTheEpisodesRetrigger()
    {
        var state = Decide(Boot(), new PointChanged("panic-a", true), 1).State;
        state = Decide(state, Chattering("panic-a"), 2).State;
        state = PressAgain(state, "panic-a", 3).State;
        return Decide(state, new PointChanged("panic-a", false), 3.5).State;
    }

    [Fact]
    public void A_chattering_panic_button_retriggers_once_per_episode_and_the_lockdown_stays()
    {
        var state = Decide(Boot(), new PointChanged("panic-a", true), 1).State;
        state = Decide(state, Chattering("panic-a"), 2).State;

        var (first, firstEvents) = PressAgain(state, "panic-a", 3);
        Assert.Single(firstEvents.OfType<LockdownRetriggered>());
        Assert.Equal(TestSite.At(3).Monotonic, first.ApprovalsValidFrom!.Value.Monotonic);

        var (second, secondEvents) = PressAgain(first, "panic-a", 4);
        Assert.Empty(secondEvents.OfType<LockdownRetriggered>());
        Assert.Equal(SiteMode.Lockdown, second.Mode);
        Assert.Equal(first.SirenUntil, second.SirenUntil); // the siren is not restarted
        // Still a press the approvers did not weigh: only the event and the siren are left out.
        Assert.Equal(TestSite.At(4).Monotonic, second.ApprovalsValidFrom!.Value.Monotonic);
        Assert.Null(second.AllClearApprovals);

        // The episode ends: the next press is news again.
        var settled = Decide(second, Chattering(), 40).State;
        Assert.Empty(settled.RetriggeredWhileChattering);
        var (_, afterEvents) = PressAgain(settled, "panic-a", 41);
        Assert.Single(afterEvents.OfType<LockdownRetriggered>());
    }

    [Fact]
    public void A_chattering_panic_button_refused_under_an_evacuation_is_refused_once_per_episode()
    {
        // Before, every flap under the higher-ranked evacuation was another critical
        // lockdown.start-refused and sounded the acknowledged siren again.
        var state = Decide(Boot(), new PointChanged("key-evac", true), 1).State;
        state = Decide(state, new PointChanged("panic-a", true), 2).State;
        state = Decide(state, Chattering("panic-a"), 3).State;

        var (first, firstEvents) = PressAgain(state, "panic-a", 4);
        Assert.Single(firstEvents.OfType<LockdownStartRefused>());

        var (second, secondEvents) = PressAgain(first, "panic-a", 5);
        Assert.Empty(secondEvents.OfType<LockdownStartRefused>());
        Assert.Equal(SiteMode.Evacuation, second.Mode);
        Assert.Equal(first.SirenUntil, second.SirenUntil); // the siren is not restarted
        Assert.Equal(first.Suspended, second.Suspended); // the press is still kept suspended
        Assert.Equal(TestSite.At(5).Monotonic, second.ApprovalsValidFrom!.Value.Monotonic); // still news to the approvers
    }

    [Fact]
    public void A_press_under_an_evacuation_is_kept_suspended_though_the_episodes_retrigger_was_under_a_lockdown_cleared_since()
    {
        // The episode's one press reported was under the lockdown: before, the press under the
        // evacuation was silenced as its second, so it locked nothing, was not kept, and the
        // evacuation's key turned back put the site in normal mode.
        var state = AfterTheEpisodesRetrigger();
        state = AllClear(AllClear(state, "sup-1", 10, 10).State, "sup-2", 11, 11).State;
        Assert.Equal(SiteMode.Normal, state.Mode);
        state = Decide(state, new PointChanged("key-evac", true), 12).State;

        var press = Decide(state, new PointChanged("panic-a", true), 13);

        Assert.True(Assert.Single(press.Events.OfType<LockdownStartRefused>()).Suspended);
        Assert.Equal(SiteMode.Lockdown, Assert.Single(press.State.Suspended).Mode);
        // The evacuation's releaser ends it, and the lockdown asked for runs.
        var released = Decide(press.State, new PointChanged("panic-a", false), 13.5).State;
        released = Decide(Decide(released, new PointChanged("key-evac", false), 14).State, new PointChanged("key-a", true), 15).State;
        Assert.Equal(SiteMode.Lockdown, released.Mode);
        // Its next flap in the episode changes nothing more and is silenced, as before.
        var (again, againEvents) = PressAgain(press.State, "panic-a", 16);
        Assert.Empty(againEvents.OfType<LockdownStartRefused>());
        Assert.Equal(press.State.Suspended, again.Suspended);
    }

    [Fact]
    public void An_all_clear_signed_before_a_press_after_the_episodes_retrigger_is_refused()
    {
        var state = AfterTheEpisodesRetrigger();

        state = AllClear(state, "sup-1", 10, 10).State;
        state = Decide(state, new PointChanged("panic-a", true), 20).State; // a press after it
        state = Decide(state, new PointChanged("panic-a", false), 20.5).State;
        var second = AllClear(state, "sup-2", 15, 21); // signed before that press

        Assert.Equal(SiteMode.Lockdown, second.State.Mode);
        Assert.IsType<CommandRefused>(Assert.Single(second.Events));
        // Both signed after it, the all-clear lifts the lockdown.
        var again = AllClear(AllClear(second.State, "sup-1", 22, 22).State, "sup-2", 23, 23);
        Assert.Equal(SiteMode.Normal, again.State.Mode);
    }

    [Fact]
    public void Another_panic_button_that_does_not_chatter_retriggers_every_press()
    {
        var state = Decide(Boot(), new PointChanged("panic-a", true), 1).State;
        state = Decide(state, Chattering("panic-a"), 2).State;
        state = PressAgain(state, "panic-a", 3).State;

        var (next, events) = PressAgain(state, "panic-b", 4);
        Assert.Single(events.OfType<LockdownRetriggered>());
        Assert.Single(PressAgain(next, "panic-b", 5).Events.OfType<LockdownRetriggered>());
    }

    [Fact]
    public void A_chattering_panic_button_still_starts_a_lockdown_in_normal_mode()
    {
        var state = Decide(Boot(), Chattering("panic-a"), 1).State;

        var decision = Decide(state, new PointChanged("panic-a", true), 2);

        Assert.Equal(SiteMode.Lockdown, decision.State.Mode);
        Assert.Single(decision.Events.OfType<LockdownStarted>());
    }
}
