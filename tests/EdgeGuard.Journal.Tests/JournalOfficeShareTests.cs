using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;
using static EdgeGuard.Journal.Tests.JournalHarness;

namespace EdgeGuard.Journal.Tests;

/// <summary>
/// While the journal is full, office commands' records (received, done, refused, rebirth, resend
/// ended, an acknowledgement that silences nothing, a bypass) may take only
/// <see cref="JournalLimits.OfficeShare"/> of the critical reserve. An office that sees nothing
/// from a gateway whose events the broker refuses may send a signed rebirth or acknowledgement
/// again and again; each takes about three records, and the reserve that keeps a lockdown in the
/// audit trail must not be what that loop uses up.
/// </summary>
public sealed class JournalOfficeShareTests
{
    private static readonly TimeSpan Month = TimeSpan.FromDays(30);

    [Fact]
    public async Task An_office_command_loop_while_full_leaves_the_reserve_to_a_lockdown()
    {
        using var h = new JournalHarness(new JournalLimits(10, Month));
        await h.PublishAndFlush(Enumerable.Range(1, 10).Select(i => Activated(i)).ToArray());
        const int loops = JournalLimits.CriticalReserve;

        await h.PublishAndFlush([.. Enumerable.Range(1, loops).SelectMany(Rebirth)]);
        await h.PublishAndFlush(new LockdownStarted(T0.AddHours(1), "panic button", "panic-1"));

        var records = h.All();
        Assert.Equal("lockdown.started", records[^1].Type);
        var officeRecords = records.Count(record => record.Type is "command.received" or "gateway.rebirth" or "command.done");
        Assert.Equal(JournalLimits.OfficeShare, officeRecords);
        Assert.Equal((3L * loops) - JournalLimits.OfficeShare, h.Journal.Dropped);
        Assert.Empty(h.Errors);
    }

    [Fact]
    public async Task Safety_records_may_use_the_whole_reserve_after_the_office_share_is_used_up()
    {
        using var h = new JournalHarness(new JournalLimits(10, Month));
        await h.PublishAndFlush(Enumerable.Range(1, 10).Select(i => Activated(i)).ToArray());
        await h.PublishAndFlush([.. Enumerable.Range(1, JournalLimits.OfficeShare).SelectMany(Rebirth)]);

        await h.PublishAndFlush(
            Enumerable.Range(1, JournalLimits.CriticalReserve)
                .Select(i => (DomainEvent)new LockdownRetriggered(T0.AddHours(1).AddMilliseconds(i), "panic button", "panic-1"))
                .ToArray());

        var retriggers = h.All().Count(record => record.Type == "lockdown.retriggered");
        // The episode's fault.journal-full went in at the first office record dropped, so it took
        // one record of the reserve there.
        Assert.Equal(JournalLimits.CriticalReserve - JournalLimits.OfficeShare - 1, retriggers);
        Assert.True(h.Journal.LastSeq - h.Journal.DeliveredThrough <= h.Journal.Limits.FaultCeiling);
    }

    [Fact]
    public void The_office_share_is_the_commands_own_records_and_not_what_they_change()
    {
        Assert.True(EventJournal.IsOfficeRecord(Received("c-1")));
        Assert.True(EventJournal.IsOfficeRecord(new CommandDone(T0, "c-1", CommandType.Rebirth, "office-1", "done")));
        Assert.True(EventJournal.IsOfficeRecord(new CommandRefused(T0, "c-1", CommandType.AllClear, "office-1", "panic held")));
        Assert.True(EventJournal.IsOfficeRecord(new StateRepublishRequested(T0, "office-1")));
        Assert.True(EventJournal.IsOfficeRecord(new ResendEnded(T0, "c-1", 1, 2, 2, 2, null)));

        // An acknowledgement that silences nothing is in the share too: it is never refused when
        // repeated, and changes nothing on site.
        Assert.True(EventJournal.IsOfficeRecord(new AlarmAcknowledged(T0, Guid.Empty, "door.forced", "door-1", "office-1", false)));

        // What changes what the site does keeps the whole reserve: who cleared a lockdown,
        // silenced a siren or bypassed a point must never be missing (the site obeys a bypass
        // whether or not its record fits).
        Assert.False(EventJournal.IsOfficeRecord(new LockdownCleared(T0, "office-1", T0)));
        Assert.False(EventJournal.IsOfficeRecord(new FireReset(T0, "key-1")));
        Assert.False(EventJournal.IsOfficeRecord(new AlarmAcknowledged(T0, Guid.Empty, "lockdown.started", null, "office-1", true)));
        Assert.False(EventJournal.IsOfficeRecord(new PointBypassed(T0, "door-1", PointKind.DoorContact, "a", T0.AddHours(1), "office-1")));
        Assert.False(EventJournal.IsOfficeRecord(new PointUnbypassed(T0, "door-1", PointKind.DoorContact, "a", "office-1")));
        Assert.False(EventJournal.IsOfficeRecord(new PointUnbypassed(T0, "door-1", PointKind.DoorContact, "a", null)));
        Assert.False(EventJournal.IsOfficeRecord(new LockdownStarted(T0, "office command", null)));
        Assert.True(EventJournal.KeptWhileFull(Received("c-1")));
    }

    [Fact]
    public async Task An_acknowledge_loop_while_full_leaves_the_reserve_to_a_lockdown()
    {
        using var h = new JournalHarness(new JournalLimits(10, Month));
        await h.PublishAndFlush(Enumerable.Range(1, 10).Select(i => Activated(i)).ToArray());
        var alarm = Guid.NewGuid();

        // A repeated acknowledgement of the same alarm is not refused: each writes three records.
        await h.PublishAndFlush([.. Enumerable.Range(1, JournalLimits.CriticalReserve).SelectMany(i =>
        {
            var at = T0.AddSeconds(i);
            var id = $"ack-{i}";
            return new DomainEvent[]
            {
                new CommandReceived(at, id, CommandType.Acknowledge, "office-1", OperatorRole.Guard),
                new AlarmAcknowledged(at, alarm, "door.forced", "door-1", "office-1", SirenSilenced: false),
                new CommandDone(at, id, CommandType.Acknowledge, "office-1", "door.forced acknowledged"),
            };
        })]);
        await h.PublishAndFlush(new LockdownStarted(T0.AddHours(1), "panic button", "panic-1"));

        Assert.Equal("lockdown.started", h.All()[^1].Type);
    }

    [Fact]
    public async Task A_bypass_after_the_office_share_is_used_up_is_still_journaled()
    {
        using var h = new JournalHarness(new JournalLimits(10, Month));
        await h.PublishAndFlush(Enumerable.Range(1, 10).Select(i => Activated(i)).ToArray());
        await h.PublishAndFlush([.. Enumerable.Range(1, JournalLimits.OfficeShare).SelectMany(Rebirth)]);

        // The command journal completes a dropped record like a written one, so the site obeys
        // the bypass: its record must go in.
        var at = T0.AddHours(1);
        await h.PublishAndFlush(
            new CommandReceived(at, "bypass-1", CommandType.Bypass, "office-1", OperatorRole.Supervisor),
            new PointBypassed(at, "door-1", PointKind.DoorContact, "a", at.AddHours(8), "office-1"),
            new CommandDone(at, "bypass-1", CommandType.Bypass, "office-1", "door-1 bypassed"));

        var bypass = Assert.Single(h.All(), record => record.Type == "point.bypassed");
        Assert.Equal("door-1", bypass.Point);
        Assert.DoesNotContain(h.All(), record => record.Type == "command.received" && record.DataJson.Contains("bypass-1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_office_command_loop_while_every_commit_fails_leaves_the_reservation_to_a_lockdown()
    {
        using var h = new JournalHarness();
        await h.PublishAndFlush(Activated(1));
        h.Journal.MarkDelivered(1);
        WriteFailureHandOutTests.FailCommits(h, WriteFailureHandOutTests.Failure.DiskFull);
        await h.PublishAndFlush(Activated(2)); // the episode begins

        // Handed out from memory and delivered (pins freed), three records a rebirth: more than
        // the whole reservation of seqs.
        for (var i = 1; i <= 1400; i++)
        {
            await h.PublishAndFlush(Rebirth(i));
            h.Journal.Acknowledged(h.Journal.LastSeq);
        }

        var before = h.Journal.LastSeq;
        await h.PublishAndFlush(new LockdownStarted(T0.AddHours(1), "panic button", "panic-1"));

        Assert.Contains(h.Journal.ReadAfter(before, 100), record => record.Type == "lockdown.started");
    }

    private static CommandReceived Received(string id) => new(T0, id, CommandType.Rebirth, "office-1", OperatorRole.Supervisor);

    private static DomainEvent[] Rebirth(int i)
    {
        var at = T0.AddSeconds(i);
        var id = $"rebirth-{i}";
        return
        [
            new CommandReceived(at, id, CommandType.Rebirth, "office-1", OperatorRole.Supervisor),
            new StateRepublishRequested(at, "office-1"),
            new CommandDone(at, id, CommandType.Rebirth, "office-1", "retained state republished"),
        ];
    }
}
