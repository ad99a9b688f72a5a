using System.Collections.Immutable;
using CsCheck;
using EdgeGuard.Core.Filters;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Core.Tests;

/// <summary>
/// Property-based tests of input supervision over long random sequences of transitions and time
/// steps: calm stretches, gusts faster than the chatter window, and long silences past the stuck time.
/// </summary>
public sealed class PointSupervisorProperties
{
    private static readonly SupervisionPolicy Policy = new(5, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(20));

    private static readonly PointDefinition[] Points =
    [
        new("fence-n", PointKind.Perimeter, 4, ActiveHigh: true, LinePull.Up, TimeSpan.FromMilliseconds(200), "c") { StuckAfter = TimeSpan.FromMinutes(2) },
        new("door-a", PointKind.DoorContact, 3, ActiveHigh: true, LinePull.Up, TimeSpan.FromMilliseconds(25), "a"),
        new("panic-a", PointKind.PanicButton, 1, ActiveHigh: false, LinePull.Up, TimeSpan.FromMilliseconds(500), "a"),
        new("fire-panel", PointKind.FireAlarm, 7, ActiveHigh: true, LinePull.Down, TimeSpan.FromMilliseconds(100), "c") { StuckAfter = TimeSpan.FromMinutes(1) },
    ];

    /// <summary>Time passes, then the point's filtered state flips or not.</summary>
    private sealed record Step(int DelayMs, bool Flip);

    private static readonly Gen<(int Point, Step[] Steps)> Scenario = Gen.Select(
        Gen.Int[0, Points.Length - 1],
        Gen.Select(Gen.OneOf(Gen.Int[0, 800], Gen.Int[0, 6_000], Gen.Int[0, 150_000]), Gen.Bool, (delay, flip) => new Step(delay, flip)).Array[1, 300]);

    /// <summary>What the decider sees of the point: its state as last forwarded or handed back on settling.</summary>
    private sealed record Trace(PointDefinition Point, List<DomainEvent> Events, List<(bool Forwarded, bool SuppressedAfter)> Changes, bool DeciderView, PointSupervisor Supervisor);

    private static Trace Run(int pointIndex, Step[] steps)
    {
        var point = Points[pointIndex];
        var now = TestSite.At(0);
        var supervisor = new PointSupervisor(point, Policy, settledActive: false, now.Monotonic);
        var events = new List<DomainEvent>();
        var changes = new List<(bool, bool)>();
        var deciderView = false;
        foreach (var step in steps)
        {
            now = now.Add(TimeSpan.FromMilliseconds(step.DelayMs));
            if (supervisor.Tick(now, events) is { } settled)
            {
                deciderView = settled;
            }

            if (step.Flip)
            {
                var active = !supervisor.Active;
                var forwarded = supervisor.OnChange(active, now, events);
                changes.Add((forwarded, supervisor.Suppressed));
                if (forwarded)
                {
                    deciderView = active;
                }
            }
        }

        return new Trace(point, events, changes, deciderView, supervisor);
    }

    [Fact]
    public void A_level_that_holds_for_the_hold_time_always_reaches_the_decider_suppressed_or_not()
    {
        Scenario.Sample(s =>
        {
            var trace = Run(s.Point, s.Steps);
            var events = new List<DomainEvent>();
            var view = trace.DeciderView;
            // The point stays put for the hold time after its last step: whatever it held, the
            // decider has it then (a door forced open during chatter is decided within 3 s).
            var held = TestSite.At(0).Add(TimeSpan.FromMilliseconds(s.Steps.Sum(x => x.DelayMs)) + Policy.HoldTime);
            if (trace.Supervisor.Tick(held, events) is { } level)
            {
                view = level;
            }

            Assert.Equal(trace.Supervisor.Active, view);
        }, iter: 500);
    }

    [Fact]
    public void A_suppressed_point_never_passes_a_change_and_is_caught_up_when_it_settles()
    {
        Scenario.Sample(s =>
        {
            var trace = Run(s.Point, s.Steps);
            Assert.All(trace.Changes, c => Assert.False(c.Forwarded && c.SuppressedAfter));
            // Outside suppression the decider always agrees with the point.
            if (!trace.Supervisor.Suppressed)
            {
                Assert.Equal(trace.Supervisor.Active, trace.DeciderView);
            }
        }, iter: 500);
    }

    [Fact]
    public void Panic_and_fire_inputs_pass_every_change_even_while_chattering()
    {
        Scenario.Where(s => !Points[s.Point].MayBeSuppressed).Sample(s =>
        {
            var trace = Run(s.Point, s.Steps);
            Assert.All(trace.Changes, c => Assert.True(c.Forwarded));
            Assert.All(trace.Events.OfType<ChatterDetected>(), e => Assert.False(e.Suppressed));
        }, iter: 300);
    }

    [Fact]
    public void Every_fault_raised_is_restored_or_still_active_at_the_end()
    {
        Scenario.Sample(s =>
        {
            var trace = Run(s.Point, s.Steps);
            AssertAlternates<ChatterDetected, ChatterRestored>(trace.Events, trace.Supervisor.Chattering);
            AssertAlternates<PointStuck, PointStuckRestored>(trace.Events, trace.Supervisor.Stuck);
            Assert.All(trace.Events, e => Assert.Equal(trace.Point.Id, e.Point));
        }, iter: 500);
    }

    [Fact]
    public void Chatter_is_raised_exactly_when_the_count_is_reached_within_the_window()
    {
        // An independent model: the chatter count over the transitions since the last settle.
        Scenario.Sample(s =>
        {
            var trace = Run(s.Point, s.Steps);
            var now = TimeSpan.Zero;
            var recent = new List<TimeSpan>();
            var chattering = false;
            var lastChange = TimeSpan.Zero;
            var expected = 0;
            foreach (var step in s.Steps)
            {
                now += TimeSpan.FromMilliseconds(step.DelayMs);
                if (chattering && now - lastChange >= Policy.SettleTime)
                {
                    chattering = false;
                }

                if (!step.Flip)
                {
                    continue;
                }

                lastChange = now;
                if (chattering)
                {
                    continue;
                }

                recent.Add(now);
                recent.RemoveAll(t => now - t >= Policy.ChatterWindow);
                if (recent.Count >= Policy.ChatterTransitions)
                {
                    chattering = true;
                    expected++;
                    recent.Clear();
                }
            }

            Assert.Equal(expected, trace.Events.OfType<ChatterDetected>().Count());
            Assert.Equal(chattering, trace.Supervisor.Chattering);
        }, iter: 500);
    }

    /// <summary>Raised and restored events strictly alternate, starting with raised; an odd count means still open.</summary>
    private static void AssertAlternates<TRaised, TRestored>(IEnumerable<DomainEvent> events, bool openAtEnd)
    {
        var pair = events.Where(e => e is TRaised or TRestored).ToImmutableArray();
        for (var i = 0; i < pair.Length; i++)
        {
            Assert.True(i % 2 == 0 ? pair[i] is TRaised : pair[i] is TRestored, $"{typeof(TRaised).Name}/{typeof(TRestored).Name} out of order at {i}");
        }

        Assert.Equal(openAtEnd, pair.Length % 2 == 1);
    }
}
