using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;
using EdgeGuard.Hosting.Systemd;
using EdgeGuard.Journal;
using Microsoft.Extensions.Time.Testing;

namespace EdgeGuard.Tests.Hosting;

/// <summary>
/// `systemctl status` leads with a journal that drops new events, read at each refresh: read only
/// at boot, a card that filled or went read-only while the gateway ran showed "mode normal, broker
/// connected" while nothing was saved.
/// </summary>
public sealed class JournalStatusLineTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_journal_that_fills_while_running_leads_the_status()
    {
        using var temp = new TempDirectory();
        var time = new FakeTimeProvider(T0);
        using var database = JournalDatabase.Open(temp.File(JournalDatabase.FileName));
        using var journal = new EventJournal(database, time, new JournalLimits(10, TimeSpan.FromDays(30)));

        Assert.Null(SystemdComposition.JournalProblem(database, journal));

        // Ten undelivered events fill it; the eleventh, a door contact, is dropped.
        journal.Publish([.. Enumerable.Range(1, 11).Select(Opened)]);
        await Eventually.TrueAsync(() => journal.IsFull, TimeSpan.FromSeconds(30), "a full episode");

        var problem = SystemdComposition.JournalProblem(database, journal);
        Assert.NotNull(problem);
        Assert.StartsWith("JOURNAL FULL, new events are dropped", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_healthy_journal_adds_nothing()
    {
        using var temp = new TempDirectory();
        using var database = JournalDatabase.Open(temp.File(JournalDatabase.FileName));
        using var journal = new EventJournal(database, new FakeTimeProvider(T0));

        Assert.Null(SystemdComposition.JournalProblem(database, journal));
        Assert.Null(SystemdComposition.JournalProblem(null, null));
    }

    private static DomainEvent Opened(int i) => new PointActivated(T0.AddMilliseconds(i), $"door-{i}", PointKind.DoorContact, "zone-a");
}
