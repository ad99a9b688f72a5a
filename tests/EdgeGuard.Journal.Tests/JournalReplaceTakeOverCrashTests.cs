using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Journal.Tests;

/// <summary>
/// A kill between replacing a damaged real journal and the RAM journal's takeover. The replace's
/// floor comes from the clock, above the RAM journal's seqs; the next start, no longer creating
/// the journal itself, judged the RAM journal stale (its top below the real one's) and dropped
/// the lockdown started on it, retiring the file with no fault.
/// </summary>
public sealed class JournalReplaceTakeOverCrashTests : JournalOpenerFixture
{
    [Fact]
    public async Task A_kill_after_the_damaged_journal_was_replaced_but_before_the_takeover_keeps_the_volatile_journals_lockdown()
    {
        // This boot ran on the RAM journal (card not answering); a lockdown was started on it.
        using (var fallback = JournalDatabase.Open(FallbackFile))
        {
            new SqliteSafetyStateStore(fallback, Time).Save(Lockdown);
            fallback.RaiseFloors(Floor - 1, 0, JournalGapCause.NewJournal);
            using var journal = new EventJournal(fallback, Time);
            journal.Publish([Activated(1)]);
            await journal.FlushAsync().WaitAsync(Patience);
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Real)!);
        var garbage = new byte[8192];
        new Random(5).NextBytes(garbage);
        File.WriteAllBytes(Real, garbage);
        Time.Advance(TimeSpan.FromMinutes(1));

        // Restart: the card answers, the file is damaged and replaced (floors committed); the
        // process is killed before TakeOverFromFallback has saved the RAM journal's lockdown.
        try
        {
            var first = JournalOpener.Open(Real, Volatile, Time, open: p => p == FallbackFile
                ? throw new InvalidOperationException("SIGKILL before the takeover")
                : JournalDatabase.Open(p));
            first.Database.Dispose();
        }
#pragma warning disable CA1031 // The kill: whatever the first start did after it does not count.
        catch (Exception)
#pragma warning restore CA1031
        {
        }

        Time.Advance(TimeSpan.FromSeconds(3));
        var second = JournalOpener.Open(Real, Volatile, Time);
        using (var db = second.Database)
        {
            Assert.Equal(Real, db.Path);
            var state = new SqliteSafetyStateStore(db).Load();
            Assert.True(state.Mode == SiteMode.Lockdown,
                $"lockdown started on the RAM journal is gone: real journal boots {state.Mode}, fault: {second.Fault?.Type ?? "none"}, RAM journal now: {string.Join(",", Directory.GetFiles(Volatile).Select(Path.GetFileName))}");
            Assert.True(db.SeqTop() >= Floor, "above the RAM journal's seqs");
        }

        // Once taken over, the real journal is no longer new: a RAM journal left below it (its
        // retirement failed) is stale again, and its state is not taken a second time.
        Time.Advance(TimeSpan.FromSeconds(3));
        using (var cleared = JournalDatabase.Open(Real))
        {
            new SqliteSafetyStateStore(cleared, Time).Save(SafetyState.Initial);
        }

        using (var stale = JournalDatabase.Open(FallbackFile))
        {
            new SqliteSafetyStateStore(stale, Time).Save(Lockdown);
        }

        var third = JournalOpener.Open(Real, Volatile, Time);
        using var again = third.Database;
        Assert.Equal(SiteMode.Normal, new SqliteSafetyStateStore(again).Load().Mode);
    }

    private static PointActivated Activated(int n) =>
        new(Now.AddSeconds(n), "door-" + n, PointKind.DoorContact, "lobby");
}
