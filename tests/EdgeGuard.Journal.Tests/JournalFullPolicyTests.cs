using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;
using EdgeGuard.Testing;
using static EdgeGuard.Journal.Tests.EventDataWriterTests;
using static EdgeGuard.Journal.Tests.JournalHarness;

namespace EdgeGuard.Journal.Tests;

/// <summary>
/// While the journal is full of undelivered events, critical ones (and the clearing of a lockdown)
/// still go in, into a bounded reserve above the limit; everything else is dropped and counted.
/// </summary>
public sealed class JournalFullPolicyTests
{
    private static readonly TimeSpan Month = TimeSpan.FromDays(30);

    [Fact]
    public async Task While_full_a_critical_event_is_journaled_with_the_next_seq_and_a_point_event_is_dropped_and_counted()
    {
        using var h = await FullJournalOf100();

        // One call, so the writer takes them in one batch: the drop opens the episode in the middle.
        h.Publish(
            Activated(101),
            new LockdownStarted(T0.AddSeconds(1), "panic button", "panic-1"),
            Activated(102),
            Panic(T0.AddSeconds(2)),
            new LockdownClearRefused(T0.AddSeconds(3), "guard-7", "wrong code"),
            new LockdownCleared(T0.AddSeconds(4), "supervisor", T0.AddSeconds(1)));
        await h.Flush();

        var tail = h.Journal.ReadAfter(100, 100);
        Assert.Equal(
            ["fault.journal-full", "lockdown.started", "point.activated", "lockdown.cleared"],
            tail.Select(record => record.Type));
        Assert.Equal([101L, 102, 103, 104], tail.Select(record => record.Seq));
        Assert.Equal("panic-1", tail[2].Point);
        Assert.Equal(Severity.Critical, tail[1].Severity);
        Assert.Equal("supervisor", tail[3].Point);

        // The door contacts and the refused clear (an alarm, not critical) were dropped and counted.
        Assert.Equal(3, h.Journal.Dropped);
        Assert.True(h.Journal.IsFull);
        Assert.Equal(104, h.Journal.LastSeq);
        Assert.Single(h.JournalEvents.OfType<JournalFull>());
        Assert.Empty(h.Errors);
    }

    [Fact]
    public async Task At_the_limit_a_critical_event_goes_in_without_opening_an_episode()
    {
        using var h = new JournalHarness(new JournalLimits(100, Month));
        await h.PublishAndFlush(Enumerable.Range(1, 100).Select(i => Activated(i)).ToArray());

        await h.PublishAndFlush(new LockdownStarted(T0.AddSeconds(1), "panic button", "panic-1"));

        Assert.Equal(101, h.Journal.LastSeq);
        Assert.Equal("lockdown.started", h.All()[^1].Type);
        Assert.False(h.Journal.IsFull);
        Assert.Equal(0, h.Journal.Dropped);
        Assert.Empty(h.JournalEvents);
    }

    [Fact]
    public async Task The_critical_reserve_is_bounded_and_beyond_it_critical_events_are_dropped_and_counted()
    {
        using var h = new JournalHarness(new JournalLimits(10, Month));
        await h.PublishAndFlush(Enumerable.Range(1, 10).Select(i => Activated(i)).ToArray());
        const int beyond = 5;

        await h.PublishAndFlush(
            Enumerable.Range(1, JournalLimits.CriticalReserve + beyond)
                .Select(i => (DomainEvent)new LockdownRetriggered(T0.AddMilliseconds(i), "panic button", "panic-1"))
                .ToArray());
        await h.PublishAndFlush(Activated(11));

        var records = h.All();
        var reserveEnd = 10 + JournalLimits.CriticalReserve;
        Assert.Equal(Enumerable.Range(1, reserveEnd + 1).Select(i => (long)i), records.Select(record => record.Seq));
        Assert.All(records.Skip(10).Take(JournalLimits.CriticalReserve), record => Assert.Equal("lockdown.retriggered", record.Type));

        // The fault has a reserve of its own on top, so it is journaled even now.
        var fault = records[^1];
        Assert.Equal("fault.journal-full", fault.Type);
        using (var data = System.Text.Json.JsonDocument.Parse(fault.DataJson))
        {
            Assert.Equal(reserveEnd, data.RootElement.GetProperty("undelivered").GetInt64());
        }

        Assert.Equal(beyond + 1, h.Journal.Dropped);
        Assert.True(h.Journal.IsFull);
        Assert.True(h.Journal.LastSeq - h.Journal.DeliveredThrough <= h.Journal.Limits.FaultCeiling);
        Assert.Empty(h.Errors);
    }

    [Fact]
    public async Task After_critical_events_were_kept_while_full_the_recovery_records_the_dropped_count_before_new_events()
    {
        using var h = await FullJournalOf100();
        h.Publish(Activated(101), new LockdownStarted(T0.AddSeconds(1), "panic button", "panic-1"), Activated(102));
        await h.Flush();
        Assert.Equal(["fault.journal-full", "lockdown.started"], h.Journal.ReadAfter(100, 100).Select(record => record.Type));
        Assert.Equal(102, h.Journal.LastSeq);
        Assert.Equal(2, h.Journal.Dropped);

        h.Journal.MarkDelivered(102);
        await h.PublishAndFlush(Activated(300));

        var tail = h.Journal.ReadAfter(102, 100);
        Assert.Equal(["journal.recovered", "point.activated"], tail.Select(record => record.Type));
        Assert.Equal([103L, 104], tail.Select(record => record.Seq));
        AssertData(tail[0].DataJson, ("dropped", 2L));
        Assert.Equal("p300", tail[1].Point);
        Assert.False(h.Journal.IsFull);
        Assert.Collection(
            h.JournalEvents,
            e => Assert.IsType<JournalFull>(e),
            e => Assert.Equal(2, Assert.IsType<JournalRecovered>(e).Dropped));
    }

    [Fact]
    public void Every_critical_event_the_clearing_of_a_lockdown_and_a_fire_reset_may_use_the_reserve_and_nothing_else()
    {
        foreach (var type in CoreEvents.Types())
        {
            var domainEvent = CoreEvents.Instantiate(type);
            var expected = domainEvent.Severity == Severity.Critical || domainEvent is LockdownCleared or FireReset
                or Core.Commands.CommandReceived or CommandDone or CommandRefused or PointBypassed or PointUnbypassed or AlarmAcknowledged or StateRepublishRequested
                or ResendEnded
                // Obeyed by the site whether or not their records fit, as a bypass is.
                or DoorAccessGranted or DoorAccessEnded or TechnicianAccessGranted or TechnicianAccessEnded;
            Assert.True(expected == EventJournal.KeptWhileFull(domainEvent), $"{domainEvent.Type} ({domainEvent.Severity})");
        }

        Assert.True(EventJournal.KeptWhileFull(new LockdownStarted(T0, "panic button", null)));
        Assert.True(EventJournal.KeptWhileFull(new LockdownCleared(T0, "supervisor", T0)));
        Assert.True(EventJournal.KeptWhileFull(Panic(T0)));
        Assert.False(EventJournal.KeptWhileFull(Activated(1)));
        Assert.False(EventJournal.KeptWhileFull(new PointActivated(T0, "t1", PointKind.Tamper, "zone-a")));
        Assert.False(EventJournal.KeptWhileFull(new LockdownClearRefused(T0, "guard-7", "wrong code")));
        // Both ends of a fire release: the office must know whether egress doors can lock again.
        Assert.True(EventJournal.KeptWhileFull(new FireAlarmRaised(T0, "fire-1", "zone-a", SiteMode.Normal)));
        Assert.True(EventJournal.KeptWhileFull(new FireReset(T0, "key-1")));
        Assert.False(EventJournal.KeptWhileFull(new FireResetRefused(T0, "key-1", "fire input active")));
        // Authenticated commands are evidence of who did what; forgeries anyone can send are not kept.
        Assert.True(EventJournal.KeptWhileFull(new Core.Commands.CommandReceived(T0, "c-1", Core.Commands.CommandType.Bypass, "tech-1", Core.Commands.OperatorRole.Technician)));
        Assert.False(EventJournal.KeptWhileFull(new Core.Commands.CommandRejected(T0, "c-2", null, null, Core.Commands.CommandRejection.Malformed, "not JSON")));
        Assert.True(EventJournal.KeptWhileFull(new StateRepublishRequested(T0, "guard-1")));
    }

    // A technician lowers journal.maxRecords while the office link is down, or the RAM journal's
    // limit comes out smaller at a restart because /run has less free space: more events wait than
    // the new limit and both reserves. The reserves are above what waits, not above the new limit,
    // or a lockdown and the episode's fault were dropped with the door contacts.
    [Fact]
    public async Task After_a_restart_with_a_limit_below_the_waiting_backlog_a_lockdown_goes_into_the_reserve_and_the_fault_is_journaled()
    {
        using var temp = new TempDirectory();
        var path = temp.File("gateway.db");
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(T0);
        const int backlog = 3_000;
        using (var database = JournalDatabase.Open(path))
        using (var journal = new EventJournal(database, time, new JournalLimits(5_000, Month)))
        {
            journal.Publish(Enumerable.Range(1, backlog).Select(i => (DomainEvent)Activated(i)).ToArray());
            await journal.FlushAsync().WaitAsync(Patience);
        }

        using (var database = JournalDatabase.Open(path))
        using (var journal = new EventJournal(database, time, new JournalLimits(1_000, Month)))
        {
            journal.Publish([new LockdownStarted(T0.AddSeconds(10), "panic button", "panic-1"), Activated(backlog + 1)]);
            await journal.FlushAsync().WaitAsync(Patience);

            Assert.Equal(["lockdown.started", "fault.journal-full"], journal.ReadAfter(backlog, 100).Select(r => r.Type));
            Assert.Equal(1, journal.Dropped);
            Assert.True(journal.IsFull);

            // Still one bounded reserve, now above the backlog.
            journal.Publish(Enumerable.Range(1, JournalLimits.CriticalReserve)
                .Select(i => (DomainEvent)new LockdownRetriggered(T0.AddSeconds(20 + i), "panic button", "panic-1"))
                .ToArray());
            await journal.FlushAsync().WaitAsync(Patience);

            // The lockdown and the fault took two records of it: the last two retriggers are dropped.
            Assert.Equal(3, journal.Dropped);
            Assert.Equal(backlog + JournalLimits.CriticalReserve, journal.LastSeq - journal.DeliveredThrough);
        }
    }

    [Fact]
    public void The_reserves_do_not_wrap_a_limit_near_long_MaxValue()
    {
        var limits = new JournalLimits(long.MaxValue - 1, Month);

        Assert.Equal(long.MaxValue, limits.CriticalCeiling);
        Assert.Equal(long.MaxValue, limits.FaultCeiling);
        Assert.Equal(100 + JournalLimits.CriticalReserve + JournalLimits.FaultReserve, new JournalLimits(100, Month).FaultCeiling);
    }

    /// <summary>A journal with a limit of 100 holding 100 undelivered door-contact events.</summary>
    private static async Task<JournalHarness> FullJournalOf100()
    {
        var h = new JournalHarness(new JournalLimits(100, Month));
        await h.PublishAndFlush(Enumerable.Range(1, 100).Select(i => Activated(i)).ToArray());
        Assert.Equal(100, h.Journal.LastSeq);
        Assert.False(h.Journal.IsFull);
        return h;
    }

    private static PointActivated Panic(DateTimeOffset at) => new(at, "panic-1", PointKind.PanicButton, "zone-a");
}
