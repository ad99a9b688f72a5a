using System.Device.Gpio;
using System.Threading.Channels;
using EdgeGuard.Core;
using EdgeGuard.Core.Filters;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware.Simulation;
using Microsoft.Extensions.Time.Testing;

namespace EdgeGuard.Hardware.Tests;

/// <summary>
/// The whole path from a wire to a relay, with a hand-written controller loop standing in for the
/// host's: GPIO callback → channel → filter → Decide → OutputPlan → level → GPIO write.
/// </summary>
public sealed class PanicWiringTests : IDisposable
{
    private const int PanicLine = 5;
    private const int EntryLockLine = 20;
    private const int EgressLockLine = 21;
    private const int SirenLine = 22;

    private static readonly SiteDefinition Site = new(
        "mission",
        "gw-1",
        [new ZoneDefinition("lobby", "Lobby")],
        [new PointDefinition("panic-lobby", PointKind.PanicButton, PanicLine, ActiveHigh: false, LinePull.Up, TimeSpan.FromMilliseconds(200), "lobby")],
        [
            // Fail-secure strike on an active-low relay board: locked = coil off = line high.
            new OutputDefinition("lock-entry", OutputKind.Lock, EntryLockLine, ActiveHigh: false, "lobby", LockFailMode.FailSecure),
            new OutputDefinition("lock-egress", OutputKind.Lock, EgressLockLine, ActiveHigh: true, "lobby", LockFailMode.FailSafe, Egress: true),
            new OutputDefinition("siren-lobby", OutputKind.Siren, SirenLine, ActiveHigh: true, "lobby"),
        ],
        new LockdownPolicy([], TimeSpan.FromMinutes(3), []));

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 3, 1, 9, 0, 0, TimeSpan.Zero));
    private readonly SimulatedGpioDriver _driver = new();
    private readonly GpioController _controller;
    private readonly GpioOutputLines _outputs;
    private readonly GpioInputLines _inputs;
    private readonly Channel<RawEdge> _edges = Channel.CreateUnbounded<RawEdge>();
    private readonly Dictionary<string, PointFilter> _filters;
    private SiteState _state;

    public PanicWiringTests()
    {
        _controller = new GpioController(_driver);

        // Boot order from the design: outputs from the restored plan first, then inputs.
        var now = Moment.From(_time);
        _state = SiteState.Restore(Site, SafetyState.Initial, new Dictionary<string, bool>(), now);
        _outputs = new GpioOutputLines(_controller, Site.Outputs, LevelsFor(OutputPlan.For(Site, _state)));
        _inputs = new GpioInputLines(_controller, Site.Points, _time);
        _filters = Site.Points.ToDictionary(
            p => p.Id, p => new PointFilter(p, p.IsActive(_inputs.Read(p.Id)), now.Monotonic), StringComparer.Ordinal);
        _inputs.Start(edge => _edges.Writer.TryWrite(edge));
    }

    public void Dispose()
    {
        _inputs.Dispose();
        _outputs.Dispose();
        _controller.Dispose();
    }

    [Fact]
    public void An_edge_on_a_panic_line_drives_the_lock_and_siren_lines()
    {
        Assert.False(_driver.GetOutputLevel(EntryLockLine)); // strike unlocked: coil energised = low
        Assert.False(_driver.GetOutputLevel(EgressLockLine)); // maglock released
        Assert.False(_driver.GetOutputLevel(SirenLine));

        _time.Advance(TimeSpan.FromSeconds(1));
        _driver.SetInputLevel(PanicLine, high: false);
        var events = Pump();

        Assert.Contains(events, e => e is LockdownStarted { PointId: "panic-lobby" });
        Assert.Equal(SiteMode.Lockdown, _state.Mode);
        Assert.True(_driver.GetOutputLevel(EntryLockLine));
        Assert.True(_driver.GetOutputLevel(EgressLockLine));
        Assert.True(_driver.GetOutputLevel(SirenLine));
        Assert.Equal([false, true], _driver.DrivenLevels(EntryLockLine));
        Assert.Equal([false, true], _driver.DrivenLevels(SirenLine));
    }

    [Fact]
    public void Button_bounce_reaches_the_relays_as_one_change()
    {
        _time.Advance(TimeSpan.FromSeconds(1));
        foreach (var high in new[] { false, true, false, true, false })
        {
            _driver.SetInputLevel(PanicLine, high);
            _time.Advance(TimeSpan.FromMilliseconds(1));
        }

        var events = Pump();

        Assert.Single(events, e => e is LockdownStarted);
        Assert.Equal(1, _driver.WriteCount(SirenLine));
        Assert.Equal(1, _driver.WriteCount(EntryLockLine));
    }

    [Fact]
    public void The_siren_stops_when_its_time_runs_out_and_the_locks_hold()
    {
        _driver.SetInputLevel(PanicLine, high: false);
        Pump();
        _driver.SetInputLevel(PanicLine, high: true);
        Pump();

        _time.Advance(Site.Lockdown.SirenDuration);
        Apply(TimerTick.Instance);

        Assert.False(_driver.GetOutputLevel(SirenLine));
        Assert.True(_driver.GetOutputLevel(EntryLockLine));
        Assert.True(_driver.GetOutputLevel(EgressLockLine));
        Assert.Equal(0, _inputs.CallbackFailures);
    }

    private static IReadOnlyDictionary<string, bool> LevelsFor(OutputPlan plan) => plan.Levels(Site);

    /// <summary>What the host's controller loop does with every queued edge.</summary>
    private List<DomainEvent> Pump()
    {
        var events = new List<DomainEvent>();
        while (_edges.Reader.TryRead(out var edge))
        {
            var filter = _filters[edge.PointId];
            var at = Moment.MonotonicOf(_time, edge.Timestamp);
            if (filter.Sample(filter.Point.IsActive(edge.High), at) is { } active)
            {
                events.AddRange(Apply(new PointChanged(edge.PointId, active)));
            }
        }

        return events;
    }

    private IReadOnlyList<DomainEvent> Apply(SiteInput input)
    {
        var decision = SiteDecider.Decide(Site, _state, input, Moment.From(_time));
        _state = decision.State;
        foreach (var (id, level) in LevelsFor(OutputPlan.For(Site, _state)))
        {
            _outputs.Write(id, level);
        }

        return decision.Events;
    }
}
