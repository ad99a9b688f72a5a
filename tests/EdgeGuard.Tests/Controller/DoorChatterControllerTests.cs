using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Tests.Controller;

/// <summary>
/// A chattering door contact, suppressed by supervision, must not raise door.held-open: the
/// decider's "open" is only the last change let through before the chatter. With the default
/// times (held open 30 s, settle 30 s) the alarm always came first, for a door shut all along.
/// </summary>
public sealed class DoorChatterControllerTests : IAsyncDisposable
{
    private static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(25);

    private static readonly SiteDefinition Site = new(
        "site-t", "gw-t",
        [new("a", "A")],
        [
            new("key", PointKind.Keyswitch, 3, ActiveHigh: true, LinePull.Down, Debounce, "a"),
            new("vault", PointKind.DoorContact, 4, ActiveHigh: true, LinePull.Up, Debounce, "a"),
        ],
        [
            // Normally locked: a secure door, watched for being held open in normal mode too.
            new("vault-lock", OutputKind.Lock, 10, ActiveHigh: true, "a", LockFailMode.FailSecure, NormallyLocked: true),
        ],
        new LockdownPolicy([], TimeSpan.FromSeconds(30), ["key"]),
        Doors: [new DoorDefinition("vault-door", "vault-lock", "vault", [], TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(5))])
    {
        Supervision = new SupervisionPolicy(4, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30)),
    };

    private readonly ControllerHarness _h = new(Site, _ => new MemorySafetyStore());

    private async Task AdvanceAsync(TimeSpan by)
    {
        _h.Time.Advance(by);
        await _h.SettleAsync();
    }

    [Fact]
    public async Task A_door_shut_while_its_contact_chatters_is_not_held_open()
    {
        await _h.BootAsync();

        // Open, shut, open are decided; the 4th change (shut) is chatter and withheld.
        for (var i = 0; i < 4; i++)
        {
            _h.Set("vault", i % 2 == 0);
            await _h.SettleAsync();
            await AdvanceAsync(TimeSpan.FromMilliseconds(200));
        }

        Assert.Equal(["vault"], _h.Controller.Snapshot!.SuppressedPoints);
        Assert.True(_h.Controller.Current!.IsActive("vault"), "the decider keeps the last change it saw");

        // Past the held-open time (30 s after the 3rd change) and the settle time (30 s after the
        // 4th, 200 ms later), in steps short enough that the two deadlines come in turn.
        for (var step = 0; step < 350; step++)
        {
            await AdvanceAsync(TimeSpan.FromMilliseconds(100));
        }

        Assert.Single(_h.Events.Events.OfType<ChatterRestored>());
        Assert.False(_h.Controller.Current!.IsActive("vault"), "the settled state is applied");
        Assert.DoesNotContain(_h.Events.Events, e => e is DoorHeldOpen);
    }

    [Fact]
    public async Task A_door_still_open_when_its_contact_settles_is_held_open_counted_from_then()
    {
        await _h.BootAsync();

        // Open, shut, open, shut (withheld), open (withheld): it settles open.
        for (var i = 0; i < 5; i++)
        {
            _h.Set("vault", i % 2 == 0);
            await _h.SettleAsync();
            await AdvanceAsync(TimeSpan.FromMilliseconds(200));
        }

        for (var s = 0; s < 31; s++)
        {
            await AdvanceAsync(TimeSpan.FromSeconds(1));
        }

        Assert.Single(_h.Events.Events.OfType<ChatterRestored>());
        Assert.DoesNotContain(_h.Events.Events, e => e is DoorHeldOpen);

        await AdvanceAsync(TimeSpan.FromSeconds(30));

        Assert.Single(_h.Events.Events.OfType<DoorHeldOpen>());
    }

    public ValueTask DisposeAsync() => _h.DisposeAsync();
}
