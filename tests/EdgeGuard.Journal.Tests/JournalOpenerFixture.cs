using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace EdgeGuard.Journal.Tests;

/// <summary>
/// What the JournalOpener tests share: a state directory and a volatile fallback directory in a
/// fresh temp directory, a fake clock at <see cref="Now"/>, and a lockdown to save.
/// </summary>
public abstract class JournalOpenerFixture : IDisposable
{
    protected static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The open's deadline in the tests of a replace under way at it: long enough that both damaged
    /// tries (200 ms apart) come before it on a loaded machine. A second try after the deadline
    /// moves nothing, and there would be no replace under way (500 ms failed a loaded run: the
    /// first try came too late for a second, and the boot ran on the volatile journal).
    /// </summary>
    protected static readonly TimeSpan ReplaceDeadline = TimeSpan.FromSeconds(2);

    protected static readonly DateTimeOffset Now = new(2026, 12, 4, 16, 0, 0, TimeSpan.Zero);

    protected static readonly SafetyState Lockdown =
        new(SiteMode.Lockdown, new LockdownInfo("panic-button", "panic-lobby", Now), SirenSounding: true);

    // The lockdown as loaded after SaveLockdownOnTheCard: a row of the older schema holds no
    // record of breached perimeter points (schema 16), which loads as not recorded.
    protected static SafetyState LockdownAsLoaded(bool olderSchema) => olderSchema ? Lockdown with { BreachesUnrecorded = true } : Lockdown;

    private readonly TempDirectory _temp = new();

    protected FakeTimeProvider Time { get; } = new(Now);

    /// <summary>The real journal, in the state directory.</summary>
    protected string Real => _temp.File(Path.Combine("state", JournalDatabase.FileName));

    /// <summary>The volatile fallback directory.</summary>
    protected string Volatile => _temp.File("run");

    /// <summary>The journal in the fallback directory.</summary>
    protected string FallbackFile => Path.Combine(Volatile, JournalDatabase.FileName);

    /// <summary>The first seq of a journal created at <see cref="Now"/> (JournalOpener.SeqFloor).</summary>
    protected static long Floor => Now.ToUnixTimeMilliseconds() * 1_000;

    /// <summary>Whether <paramref name="database"/> was closed (a late open the opener gave up on is closed once it ends).</summary>
    protected static bool IsClosed(JournalDatabase database)
    {
        try
        {
            database.OpenConnection().Dispose();
            return false;
        }
        catch (ObjectDisposedException)
        {
            return true;
        }
    }

    /// <summary>A path inside the temp directory.</summary>
    protected string TempFile(string name) => _temp.File(name);

    /// <summary>
    /// Opens a database as <see cref="JournalOpener.Open(string, string, TimeProvider, TimeSpan?, Func{string, JournalDatabase}?)"/>
    /// does, but the real journal's card is full: its open fails as SQLite reports that.
    /// </summary>
    protected JournalDatabase FullCard(string path) =>
        path == Real
            ? throw new JournalException("full", new SqliteException("database or disk is full", 13))
            : JournalDatabase.Open(path);

    /// <summary>
    /// Writes the card's journal as the clock made it when it read a day later (a damaged one
    /// replaced): its seq and session floors raised from that clock, above any this one gives.
    /// Takes <paramref name="sessions"/> MQTT sessions on it, then <paramref name="more"/> writes
    /// the rest of the card's story.
    /// </summary>
    /// <returns>The card's last session taken (0 if none) and its highest seq, after both.</returns>
    protected async Task<(long Session, long Top)> WriteCardADayAheadAsync(int sessions, Func<JournalDatabase, Task>? more = null)
    {
        var later = new FakeTimeProvider(Now.AddDays(1));
        long session = 0;
        using var database = JournalDatabase.Open(Real);
        database.RaiseFloors(JournalOpener.SeqFloor(later) - 1, JournalOpener.SessionFloor(later), JournalGapCause.NewJournal);
        if (sessions > 0)
        {
            using var journal = new EventJournal(database, Time);
            for (var i = 0; i < sessions; i++)
            {
                session = journal.NextSession();
            }
        }

        if (more is not null)
        {
            await more(database);
        }

        return (session, database.SeqTop());
    }

    // As above, for a story written without waiting on anything.
    protected Task<(long Session, long Top)> WriteCardADayAheadAsync(int sessions, Action<JournalDatabase> more) =>
        WriteCardADayAheadAsync(sessions, database =>
        {
            more(database);
            return Task.CompletedTask;
        });

    // A file of random bytes at edgeguard.db in directory: a journal whose header is gone.
    protected static byte[] Garbage(string directory)
    {
        Directory.CreateDirectory(directory);
        var garbage = new byte[8192];
        new Random(11).NextBytes(garbage);
        File.WriteAllBytes(Path.Combine(directory, JournalDatabase.FileName), garbage);
        return garbage;
    }

    public void Dispose()
    {
        _temp.Dispose();
        GC.SuppressFinalize(this);
    }

    // The lockdown as the last run saved it; olderSchema: in the file the previous release
    // (schema 14) left, which this build's first open must upgrade, a write.
    protected void SaveLockdownOnTheCard(bool olderSchema)
    {
        using (var database = JournalDatabase.Open(Real))
        {
            new SqliteSafetyStateStore(database, Time).Save(Lockdown);
        }

        if (olderSchema)
        {
            using var connection = new SqliteConnection($"Data Source={Real};Pooling=False");
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "ALTER TABLE safety_state DROP COLUMN perimeter_breaches; ALTER TABLE safety_state DROP COLUMN suspended; "
                + JournalDatabaseTests.DropMigration20 + " " + JournalDatabaseTests.DropMigration19 + " " + JournalDatabaseTests.DropMigration18 + " " + JournalDatabaseTests.DropMigration17 + " PRAGMA user_version=14;";
            command.ExecuteNonQuery();
        }
    }
}
