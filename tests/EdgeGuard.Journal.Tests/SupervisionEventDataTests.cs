using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Journal.Tests;

/// <summary>The wire data of the input supervision faults (fields fixed by docs/schemas/event-data.schema.json).</summary>
public sealed class SupervisionEventDataTests
{
    private static readonly DateTimeOffset At = new(2025, 3, 14, 9, 26, 53, TimeSpan.Zero);

    [Fact]
    public void Chatter_carries_the_count_the_window_and_whether_the_point_is_suppressed()
    {
        var fields = EventDataWriter.Describe(new ChatterDetected(At, "fence-north", PointKind.Perimeter, "perimeter", 8, TimeSpan.FromSeconds(10), Suppressed: true));

        Assert.Equal(("fence-north", "perimeter"), (fields.Point, fields.Zone));
        EventDataWriterTests.AssertData(fields.DataJson, ("kind", "perimeter"), ("transitions", 8L), ("windowSeconds", 10L), ("suppressed", true));
    }

    [Fact]
    public void Chatter_restored_carries_the_settled_state_and_the_episode()
    {
        var fields = EventDataWriter.Describe(new ChatterRestored(At, "fire-panel", PointKind.FireAlarm, "guardroom", Active: false, 41, TimeSpan.FromSeconds(30), WasSuppressed: false));

        Assert.Equal(("fire-panel", "guardroom"), (fields.Point, fields.Zone));
        EventDataWriterTests.AssertData(fields.DataJson,
            ("kind", "fireAlarm"), ("active", false), ("transitions", 41L), ("settleSeconds", 30L), ("suppressed", false));
    }

    [Fact]
    public void Stuck_and_its_restore_carry_whole_seconds()
    {
        var stuck = EventDataWriter.Describe(new PointStuck(At, "door-vault", PointKind.DoorContact, "chancery", Active: false, TimeSpan.FromDays(30)));
        var restored = EventDataWriter.Describe(new PointStuckRestored(At, "door-vault", PointKind.DoorContact, "chancery", Active: true, TimeSpan.FromSeconds(2_592_060.7)));

        Assert.Equal(("door-vault", "chancery"), (stuck.Point, stuck.Zone));
        EventDataWriterTests.AssertData(stuck.DataJson, ("kind", "doorContact"), ("active", false), ("stuckAfterSeconds", 2_592_000L));
        Assert.Equal(("door-vault", "chancery"), (restored.Point, restored.Zone));
        EventDataWriterTests.AssertData(restored.DataJson, ("kind", "doorContact"), ("active", true), ("stuckForSeconds", 2_592_060L));
    }

    [Fact]
    public void A_breach_says_whether_it_started_the_lockdown_or_had_it_kept_suspended()
    {
        var kept = EventDataWriter.Describe(new PerimeterBreach(At, "fence-north", "perimeter", 5, StartsLockdown: false) { KeptSuspended = true });
        var started = EventDataWriter.Describe(new PerimeterBreach(At, "fence-north", "perimeter", 5, StartsLockdown: true));

        Assert.Equal(("fence-north", "perimeter"), (kept.Point, kept.Zone));
        EventDataWriterTests.AssertData(kept.DataJson, ("threatLevel", 5L), ("startsLockdown", false), ("suspended", true));
        EventDataWriterTests.AssertData(started.DataJson, ("threatLevel", 5L), ("startsLockdown", true), ("suspended", false));
    }
}
