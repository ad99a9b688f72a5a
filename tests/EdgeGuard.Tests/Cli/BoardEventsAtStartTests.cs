using EdgeGuard.Core.Lockdown;
using EdgeGuard.WalkTest;

namespace EdgeGuard.Tests.Cli;

/// <summary>
/// What the board reports while the walk test opens its lines is kept, bounded, until the session takes it, and
/// nothing reported later is lost or put before it.
/// </summary>
public sealed class BoardEventsAtStartTests
{
    private static HardwareFault Fault(string device) => new(DateTimeOffset.UnixEpoch, device, "did not answer at start-up");

    [Fact]
    public void Events_before_the_hand_over_are_kept_in_order_up_to_the_capacity_and_the_rest_counted()
    {
        var board = new BoardEventsAtStart(capacity: 3);
        board.Report([Fault("a"), Fault("b")]);
        board.Report([Fault("c"), Fault("d")]);
        board.Report([Fault("e")]);
        IReadOnlyList<DomainEvent>? kept = null;
        var notKept = -1;
        var later = new List<DomainEvent>();

        board.HandOver((events, count) => (kept, notKept) = (events, count), later.AddRange);

        Assert.Equal(["a", "b", "c"], kept!.Cast<HardwareFault>().Select(f => f.Device));
        Assert.Equal(2, notKept);
        Assert.Empty(later);
    }

    [Fact]
    public void After_the_hand_over_every_report_goes_straight_on_and_none_is_kept()
    {
        var board = new BoardEventsAtStart(capacity: 1);
        var atStart = new List<DomainEvent>();
        var later = new List<DomainEvent>();
        board.Report([Fault("at-start")]);
        board.HandOver((events, _) => atStart.AddRange(events), later.AddRange);

        board.Report([Fault("x"), Fault("y")]);

        Assert.Equal(["at-start"], atStart.Cast<HardwareFault>().Select(f => f.Device));
        Assert.Equal(["x", "y"], later.Cast<HardwareFault>().Select(f => f.Device));
        Assert.Throws<InvalidOperationException>(() => board.HandOver((_, _) => { }, _ => { }));
    }
}
