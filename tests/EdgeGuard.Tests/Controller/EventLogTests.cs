using EdgeGuard.Core.Site;
using EdgeGuard.Journal;

namespace EdgeGuard.Tests.Controller;

/// <summary>
/// The controller logs each event it reports (event id 1) with the data the office receives for
/// it. The quick start's first screen showed gateway.started as the record's own text, its lists
/// as type names (<c>System.Collections.Generic.List`1[System.String]</c>): a technician reading
/// the journal or the console could not see what a restart had not restored.
/// </summary>
public sealed class EventLogTests : IAsyncDisposable
{
    private static readonly SiteDefinition Site = new(
        "site-l", "gw-l",
        [new("a", "A")],
        [new("panic", PointKind.PanicButton, 2, ActiveHigh: false, LinePull.Up, TimeSpan.Zero, "a")],
        [new("siren", OutputKind.Siren, 11, ActiveHigh: true, "a")],
        new LockdownPolicy([], TimeSpan.FromMinutes(10), []));

    private readonly ControllerLog _log = new();
    private readonly ControllerHarness _h;

    public EventLogTests() => _h = new ControllerHarness(Site, _ => new MemorySafetyStore(), logger: _log);

    [Fact]
    public async Task Each_reported_event_is_logged_with_the_data_the_office_receives_for_it()
    {
        await _h.BootAsync();
        _h.Set("panic", true);
        await _h.SettleAsync();

        var reported = _h.Events.Events;
        Assert.Contains(reported, e => e is Core.Lockdown.GatewayStarted);
        Assert.Contains(reported, e => e is Core.Lockdown.LockdownStarted);
        var lines = _log.Lines.Where(l => l.Id == 1).Select(l => l.Text).ToList();
        Assert.Equal(reported.Count, lines.Count);
        foreach (var (e, line) in reported.Zip(lines))
        {
            Assert.StartsWith(e.Type + " ", line, StringComparison.Ordinal);
            Assert.EndsWith(" data=" + EventDataWriter.Describe(e).DataJson, line, StringComparison.Ordinal);
            Assert.DoesNotContain("System.Collections", line, StringComparison.Ordinal);
        }
    }

    public ValueTask DisposeAsync() => _h.DisposeAsync();
}
