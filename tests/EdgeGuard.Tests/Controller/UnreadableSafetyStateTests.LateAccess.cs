using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Tests.Controller;

// A late read put back in force changes what the doors should do without a decision: an office
// open-door a guard was granted while the site read normal does not hold in the lockdown read
// late, so it ends with its event and the lock holds the door again (review of the open-door
// work: the re-apply dropped the grant silently, and the office's console kept it open).
public sealed partial class UnreadableSafetyStateTests
{
    private static readonly SiteDefinition OpenDoorSite = Site with
    {
        // The egress door locked at all times: a guard may buzz someone through it while the site reads normal.
        Doors = [new DoorDefinition("front", "exit", null, [], TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(5))],
    };

    [Fact]
    public async Task A_guards_open_door_ends_with_its_event_when_a_late_read_puts_a_lockdown_back()
    {
        await using var h = new ControllerHarness(OpenDoorSite, _ => _store);
        await BootIntoTheHungRead(h);
        await Done(h, Command(h, CommandType.OpenDoor, OperatorRole.Guard, ("door", new JsonStringItem("front")), ("seconds", new JsonIntegerItem(120))));
        await h.SettleAsync();
        Assert.NotNull(h.Controller.Snapshot!.State.Doors["front"].Access);
        Assert.False(h.Driver.GetOutputLevel(ExitLine), "released by the open-door");

        await EndTheRead(h);

        AssertPutBack(h);
        var ended = Assert.Single(h.Events.Events.OfType<DoorAccessEnded>());
        Assert.Equal(("front", DoorAccessEnd.Alert), (ended.DoorId, ended.Reason));
        Assert.Null(h.Controller.Snapshot!.State.Doors["front"].Access);
        Assert.True(h.Driver.GetOutputLevel(ExitLine), "the lockdown read late locks the door the guard opened");
    }
}
