using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;
using Microsoft.Data.Sqlite;

namespace EdgeGuard.Journal.Tests;

/// <summary>
/// A kill in the middle of moving a journal aside (JournalOpener.MoveWithSidecars: the -wal and
/// -shm first, then the main file). The next start opened the main file alone, at its last
/// checkpoint: a lockdown saved since was gone, with no fault, and seqs committed since were
/// given out again.
/// </summary>
public sealed class JournalMoveAsideCrashTests : JournalOpenerFixture
{
    private const string KeptAt = ".damaged-20261204T160000000Z";

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_kill_between_moving_the_wal_and_the_main_file_aside_boots_on_the_whole_journal(bool shmMoved)
    {
        // The running journal: Normal and 3 events checkpointed into the main file; then a
        // lockdown and 3 more events only in the WAL. A power-cut image of its files is taken.
        var live = TempFile("live/" + JournalDatabase.FileName);
        using (var database = JournalDatabase.Open(live))
        {
            using var journal = new EventJournal(database, Time);
            journal.Publish([Activated(1), Activated(2), Activated(3)]);
            await journal.FlushAsync().WaitAsync(Patience);
            using (var c = new SqliteConnection($"Data Source={live};Pooling=False"))
            {
                c.Open();
                using var cp = c.CreateCommand();
                cp.CommandText = "PRAGMA wal_checkpoint(TRUNCATE);";
                cp.ExecuteNonQuery();
            }

            new SqliteSafetyStateStore(database, Time).Save(Lockdown);
            journal.Publish([Activated(4), Activated(5), Activated(6)]);
            await journal.FlushAsync().WaitAsync(Patience);

            Directory.CreateDirectory(Path.GetDirectoryName(Real)!);
            foreach (var ext in new[] { "", "-wal", "-shm" })
            {
                File.Copy(live + ext, Real + ext);
            }
        }

        // Control: the image itself boots in lockdown.
        var control = TempFile("control/" + JournalDatabase.FileName);
        Directory.CreateDirectory(Path.GetDirectoryName(control)!);
        foreach (var ext in new[] { "", "-wal", "-shm" })
        {
            File.Copy(Real + ext, control + ext);
        }

        using (var check = JournalDatabase.Open(control))
        {
            Assert.Equal(SiteMode.Lockdown, new SqliteSafetyStateStore(check).Load().Mode);
        }

        // The next start found the file damaged (a WAL page, say) twice and ran
        // MoveWithSidecars: its intent written, -wal (and -shm) moved, then killed before
        // File.Move(main).
        var keptAt = Real + KeptAt;
        JournalOpener.WriteMoveIntent(Real, keptAt);
        File.Move(Real + "-wal", keptAt + "-wal");
        if (shmMoved)
        {
            File.Move(Real + "-shm", keptAt + "-shm");
        }

        Time.Advance(TimeSpan.FromSeconds(3));
        var second = JournalOpener.Open(Real, Volatile, Time);
        using var db = second.Database;
        var state = new SqliteSafetyStateStore(db).Load();
        Assert.True(state.Mode == SiteMode.Lockdown,
            $"boots {state.Mode} from the main file alone at {db.Path}, fault: {second.Fault?.Type ?? "none"} (the lockdown and its WAL sit in {Path.GetFileName(keptAt)}-wal)");
        Assert.Equal(Real, db.Path);
        Assert.Null(second.Fault);
        Assert.True(db.SeqTop() >= 6, $"seqs 4..6 were committed: top {db.SeqTop()}");
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(Real)!, "*.damaged-*"));
        Assert.False(File.Exists(Real + JournalOpener.MovingSuffix));
    }

    [Fact]
    public async Task A_kill_between_moving_the_volatile_journals_wal_and_its_main_file_aside_keeps_its_lockdown()
    {
        // A start of this boot runs on the RAM journal and saves a lockdown there, in its WAL.
        using (var fallback = JournalDatabase.Open(FallbackFile))
        {
            fallback.RaiseFloors(Floor - 1, 0, JournalGapCause.NewJournal);
            using var journal = new EventJournal(fallback, Time);
            journal.Publish([Activated(1)]);
            await journal.FlushAsync().WaitAsync(Patience);
            new SqliteSafetyStateStore(fallback, Time).Save(Lockdown);
            foreach (var ext in new[] { "", "-wal", "-shm" })
            {
                File.Copy(FallbackFile + ext, FallbackFile + ".image" + ext);
            }
        }

        foreach (var ext in new[] { "", "-wal", "-shm" })
        {
            File.Move(FallbackFile + ".image" + ext, FallbackFile + ext, overwrite: true);
        }

        // A restart set it aside (as unreadable, say) and was killed after its -wal and -shm moved;
        // the real journal still cannot be opened (the card is full).
        JournalOpener.WriteMoveIntent(FallbackFile, FallbackFile + KeptAt);
        File.Move(FallbackFile + "-wal", FallbackFile + KeptAt + "-wal");
        File.Move(FallbackFile + "-shm", FallbackFile + KeptAt + "-shm");

        Time.Advance(TimeSpan.FromSeconds(3));
        var second = JournalOpener.Open(Real, Volatile, Time, open: FullCard);
        using var db = second.Database;
        Assert.Equal(FallbackFile, db.Path);
        Assert.Equal(SiteMode.Lockdown, new SqliteSafetyStateStore(db).Load().Mode);
    }

    private static PointActivated Activated(int n) =>
        new(Now.AddSeconds(n), "door-" + n, PointKind.DoorContact, "lobby");
}
