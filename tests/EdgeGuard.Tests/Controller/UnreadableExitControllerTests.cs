using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Tests.Controller;

/// <summary>
/// The controller follows what the I/O board reports it cannot read (a chip's <c>fault.hardware</c>
/// naming its points, a loop's <c>fault.eol-tamper</c>) and releases an egress door none of whose exit
/// buttons it can read, in a lockdown too, until one reads again (<see cref="UnreadableExits"/>).
/// </summary>
public sealed class UnreadableExitControllerTests : IAsyncDisposable
{
    private const int LockLine = 10;
    private const string Chip = "mcp23017@0x20";

    private static readonly SiteDefinition Site = new(
        "site-u", "gw-u",
        [new("a", "A")],
        [
            new("door", PointKind.DoorContact, 1, ActiveHigh: true, LinePull.Up, TimeSpan.Zero, "a"),
            new("panic", PointKind.PanicButton, 2, ActiveHigh: false, LinePull.Up, TimeSpan.Zero, "a"),
            new("key", PointKind.Keyswitch, 3, ActiveHigh: false, LinePull.Up, TimeSpan.Zero, "a"),
            new("rex", PointKind.RequestToExit, 4, ActiveHigh: false, LinePull.Up, TimeSpan.Zero, "a"),
        ],
        [new("lock", OutputKind.Lock, LockLine, ActiveHigh: true, "a", LockFailMode.FailSafe, Egress: true)],
        new LockdownPolicy([], TimeSpan.FromSeconds(30), ["key"]),
        Doors: [new DoorDefinition("exit", "lock", "door", ["rex"], TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(5))]);

    private readonly ControllerHarness _h = new(Site, _ => new MemorySafetyStore());

    public ValueTask DisposeAsync() => _h.DisposeAsync();

    private async Task<bool> LockedAfterAsync(params DomainEvent[] reported)
    {
        _h.Controller.ReportFromOutside(reported);
        await _h.SettleAsync();
        return _h.Driver.GetOutputLevel(LockLine);
    }

    [Fact]
    public async Task A_chip_that_stops_answering_releases_the_egress_door_whose_exit_button_is_on_it_in_a_lockdown()
    {
        await _h.BootAsync();
        _h.Set("panic", true);
        await _h.SettleAsync();
        Assert.True(_h.Driver.GetOutputLevel(LockLine), "the lockdown did not lock the door");

        var now = _h.Time.GetUtcNow();
        Assert.False(await LockedAfterAsync(new HardwareFault(now, Chip, "no answer") { Points = ["door", "rex"] }));
        var released = Assert.Single(_h.Events.Events.OfType<DoorExitUnreadable>());
        Assert.Equal(("exit", "lock"), (released.DoorId, released.LockId));
        Assert.Equal(["rex"], released.Exits);
        Assert.Equal(SiteMode.Lockdown, _h.Controller.Current!.Mode);

        // Its loop is cut as well: the chip answering again leaves the button unread.
        Assert.False(await LockedAfterAsync(
            new EolTamperDetected(now, "rex", PointKind.RequestToExit, "a", LoopTamper.Open, 1023),
            new HardwareFaultRestored(now, Chip)));
        // A fault of the same chip naming no points (an output refused) changes nothing either.
        Assert.False(await LockedAfterAsync(new HardwareFault(now, Chip, "output refused")));
        Assert.Empty(_h.Events.Events.OfType<DoorExitUnreadableRestored>());

        Assert.True(await LockedAfterAsync(new EolTamperRestored(now, "rex", PointKind.RequestToExit, "a", LoopTamper.Open, 470)));
        Assert.Single(_h.Events.Events.OfType<DoorExitUnreadable>());
        Assert.Equal("exit", Assert.Single(_h.Events.Events.OfType<DoorExitUnreadableRestored>()).DoorId);
    }

    [Fact]
    public async Task A_loop_cut_then_bridged_stays_unreadable_until_both_conditions_are_restored()
    {
        await _h.BootAsync();
        _h.Set("panic", true);
        await _h.SettleAsync();
        var now = _h.Time.GetUtcNow();

        Assert.False(await LockedAfterAsync(new EolTamperDetected(now, "rex", PointKind.RequestToExit, "a", LoopTamper.Open, 1023)));
        Assert.False(await LockedAfterAsync(
            new EolTamperDetected(now, "rex", PointKind.RequestToExit, "a", LoopTamper.Short, 0),
            new EolTamperRestored(now, "rex", PointKind.RequestToExit, "a", LoopTamper.Open, 0)));
        Assert.True(await LockedAfterAsync(new EolTamperRestored(now, "rex", PointKind.RequestToExit, "a", LoopTamper.Short, 470)));
    }
}
