using System.Text.Json;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Journal.Tests;

/// <summary>
/// A kill between the opener's durable steps (the damaged file moved aside and the new journal's
/// floors committed; the volatile journal retired) and the commit of the fault the opener
/// returns: the fault existed only in memory, and the next start had nothing to say why the seqs
/// jumped or that a lockdown may be lost.
/// </summary>
public sealed class JournalOpenerFaultCrashTests : JournalOpenerFixture
{
    [Fact]
    public async Task A_kill_after_a_damaged_journal_was_replaced_but_before_its_fault_committed_keeps_the_fault()
    {
        using (var database = JournalDatabase.Open(Real))
        {
            new SqliteSafetyStateStore(database, Time).Save(Lockdown); // a lockdown in force
            using var journal = new EventJournal(database, Time);
            journal.Publish([Activated(1)]);
            await journal.FlushAsync().WaitAsync(Patience);
        }

        var garbage = new byte[8192];
        new Random(3).NextBytes(garbage);
        File.WriteAllBytes(Real, garbage);

        // First start: damaged file moved aside, new journal created, floors durable. Killed
        // before JournalLogging.Create publishes and the writer commits the fault.
        var first = JournalOpener.Open(Real, Volatile, Time);
        var firstFault = Assert.IsType<JournalReplaced>(first.Fault);
        first.Database.Dispose(); // SIGKILL: nothing journaled

        Time.Advance(TimeSpan.FromSeconds(3)); // RestartSec
        var second = JournalOpener.Open(Real, Volatile, Time);
        using (var db = second.Database)
        {
            Assert.Equal(SafetyState.Initial, new SqliteSafetyStateStore(db).Load()); // the lockdown is gone
            using var journal2 = new EventJournal(db, Time);
            if (second.Fault is { } f)
            {
                journal2.Publish([f]);
            }

            journal2.Publish([Activated(2)]);

            await journal2.FlushAsync().WaitAsync(Patience);
            var records = journal2.Read(0, int.MaxValue);
            var types = string.Join(",", records.Select(r => r.Type));
            var gap = JsonDocument.Parse(records[0].DataJson).RootElement;
            // What the office gets for the replaced journal (and the lockdown it held): still a
            // fault.journal-replaced (it says "a lockdown may have been lost, re-issue it").
            Assert.True(records.Any(r => r.Type == "fault.journal-replaced"),
                $"office gets only [{types}], gap cause '{gap.GetProperty("cause").GetString()}'; no fault says a journal was replaced and a lockdown may be lost");
            Assert.Equal(firstFault, second.Fault);
        }

        // Journaled once: the start after that has nothing to report.
        var third = JournalOpener.Open(Real, Volatile, Time);
        using var again = third.Database;
        Assert.Null(third.Fault);
    }

    [Fact]
    public async Task A_kill_after_the_volatile_journal_was_retired_but_before_its_fault_committed_keeps_the_fault()
    {
        JournalDatabase.Open(Real).Dispose();
        using (var fallback = JournalDatabase.Open(FallbackFile))
        {
            fallback.RaiseFloors(Floor - 1, 0, JournalGapCause.NewJournal);
            using var journal = new EventJournal(fallback, Time);
            journal.Publish([Activated(1), Activated(2)]); // never acknowledged by the office
            await journal.FlushAsync().WaitAsync(Patience);
        }

        var first = JournalOpener.Open(Real, Volatile, Time);
        var fault = Assert.IsType<JournalReplaced>(first.Fault);
        Assert.Contains("2 of its events were not delivered", fault.Problem, StringComparison.Ordinal);
        Assert.False(File.Exists(FallbackFile));
        first.Database.Dispose(); // SIGKILL before the fault is committed

        Time.Advance(TimeSpan.FromSeconds(3));
        var second = JournalOpener.Open(Real, Volatile, Time);
        using var db = second.Database;
        Assert.True(second.Fault is JournalReplaced,
            $"second start's fault: {second.Fault?.Type ?? "none"}; the 2 undelivered events of the retired volatile journal are never reported");
        Assert.Equal(fault, second.Fault);
    }

    [Fact]
    public async Task A_fault_never_journaled_is_raised_again_at_the_next_start_though_other_events_were()
    {
        using (var database = JournalDatabase.Open(Real))
        {
            using var journal = new EventJournal(database, Time);
            journal.Publish([Activated(1)]);
            await journal.FlushAsync().WaitAsync(Patience);
        }

        File.WriteAllBytes(Real, new byte[8192]);
        File.Delete(Real + "-wal");
        File.Delete(Real + "-shm");
        var first = JournalOpener.Open(Real, Volatile, Time);
        Assert.IsType<JournalReplaced>(first.Fault);
        using (var db = first.Database)
        {
            // The controller's events come and are committed; the fault never was.
            using var journal = new EventJournal(db, Time);
            journal.Publish([Activated(2)]);
            await journal.FlushAsync().WaitAsync(Patience);
        }

        var second = JournalOpener.Open(Real, Volatile, Time);
        using var again = second.Database;
        Assert.IsType<JournalReplaced>(second.Fault);
    }

    private static PointActivated Activated(int n) =>
        new(Now.AddSeconds(n), "door-" + n, PointKind.DoorContact, "lobby");
}
