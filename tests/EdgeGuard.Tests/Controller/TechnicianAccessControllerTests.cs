using EdgeGuard.Core;
using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Tests.Controller;

/// <summary>
/// Technician access through the running controller: on an idle gateway its end is reported by
/// the controller's own timer, and a technician's bypass is refused from then on.
/// </summary>
public sealed class TechnicianAccessControllerTests : IAsyncDisposable
{
    private static readonly SiteDefinition Site = new(
        "site-t", "gw-t",
        [new("a", "A")],
        [
            new("panic", PointKind.PanicButton, 2, ActiveHigh: true, LinePull.Down, TimeSpan.Zero, "a"),
            new("fence", PointKind.Perimeter, 5, ActiveHigh: true, LinePull.Up, TimeSpan.Zero, "a"),
        ],
        [new("siren", OutputKind.Siren, 11, ActiveHigh: true, "a")],
        new LockdownPolicy([], TimeSpan.FromSeconds(30), []));

    private readonly ControllerHarness _h = new(Site, _ => new MemorySafetyStore());

    private VerifiedCommand Signed(CommandType type, OperatorRole role, params (string Key, JsonItem Value)[] args) =>
        _h.Signed(type, role == OperatorRole.Technician ? "tech-1" : "sup-1", role, args);

    private JsonStringItem In(TimeSpan from) => new(WireTime.Format(_h.Time.GetUtcNow() + from));

    [Fact]
    public async Task The_access_ends_by_the_controllers_own_timer_and_the_technicians_next_bypass_is_refused()
    {
        await _h.BootAsync();
        await _h.SettleAsync(saved: true);
        var granted = await _h.ExecuteAsync(Signed(CommandType.TechnicianAccess, OperatorRole.Supervisor, ("until", In(TimeSpan.FromMinutes(2)))));
        Assert.True(granted.Done, granted.Detail);
        var bypassed = await _h.ExecuteAsync(Signed(CommandType.Bypass, OperatorRole.Technician, ("point", new JsonStringItem("fence")), ("until", In(TimeSpan.FromMinutes(1)))));
        Assert.True(bypassed.Done, bypassed.Detail);

        // Nothing happens on site: only the controller's timer can end it.
        await _h.AdvanceInStepsAsync(TimeSpan.FromMinutes(2) + TimeSpan.FromSeconds(1));

        var ended = Assert.Single(_h.Events.Events.OfType<TechnicianAccessEnded>());
        Assert.Equal(TechnicianAccessEnd.Expired, ended.Reason);
        Assert.Null(_h.Controller.Current!.TechnicianAccess);
        var refused = await _h.ExecuteAsync(Signed(CommandType.Bypass, OperatorRole.Technician, ("point", new JsonStringItem("fence")), ("until", In(TimeSpan.FromMinutes(1)))));
        Assert.False(refused.Done);
        Assert.Contains("needs a supervisor's technician-access in force", refused.Detail, StringComparison.Ordinal);
    }

    public ValueTask DisposeAsync() => _h.DisposeAsync();
}
