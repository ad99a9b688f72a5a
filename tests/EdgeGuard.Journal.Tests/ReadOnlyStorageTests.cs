using System.Security.Cryptography;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace EdgeGuard.Journal.Tests;

/// <summary>
/// A journal whose storage is read-only at boot (an SD card the kernel remounted read-only): it opens
/// read-only, with the newest commits of its WAL, the last saved safety state among them; every write
/// then fails with SQLITE_READONLY and nothing changes the file; nothing is handed out from memory,
/// because this run has no durable reservation. The read-only file system is stood in for by what SQLite
/// does on one: it retries the read-write open read-only (mode=ro here, on a real file).
/// </summary>
public sealed class ReadOnlyStorageTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2025, 3, 14, 9, 0, 0, TimeSpan.Zero);

    private static readonly SafetyState Lockdown = new(
        SiteMode.Lockdown,
        new LockdownInfo("panic-button", "panic-1", T0),
        SirenSounding: true);

    private readonly TempDirectory _live = new();
    private readonly TempDirectory _card = new();

    public ReadOnlyStorageTests() => Image = _card.File("edgeguard.db");

    // The files as a power cut (or a remount while running) leaves them: copied while the gateway's
    // database is open, so its WAL still holds the newest commits.
    private string Image { get; }

    public void Dispose()
    {
        _live.Dispose();
        _card.Dispose();
    }

    [Fact]
    public void A_database_SQLite_can_only_open_read_only_is_opened_read_only_with_the_lockdown_its_WAL_holds()
    {
        WriteImage(withShm: true);
        var before = Hashes();

        using (var database = JournalDatabase.Open(Image, null, SqliteOpenMode.ReadOnly))
        {
            Assert.True(database.IsReadOnly);
            Assert.Equal(JournalReadOnlyAccess.SharedWalIndex, database.ReadOnlyAccess);
            Assert.Equal(Lockdown, new SqliteSafetyStateStore(database).Load());
        }

        Assert.Equal(before, Hashes());
    }

    [Fact]
    public void The_file_alone_holds_the_older_state_so_immutable_would_lose_the_lockdown()
    {
        // Why immutable=1 (FileOnly) is taken only when there is no WAL: it ignores the WAL, where the
        // last save is (the save runs no checkpoint).
        WriteImage(withShm: true);

        using var database = JournalDatabase.OpenOnReadOnlyStorage(Image, JournalDatabase.DefaultBusyTimeout, JournalReadOnlyAccess.FileOnly);

        Assert.Equal(SafetyState.Initial, new SqliteSafetyStateStore(database).Load());
    }

    [Fact]
    public void Without_its_shm_the_WAL_is_read_through_a_private_index_on_every_connection()
    {
        WriteImage(withShm: false);
        var before = Hashes();

        using (var database = JournalDatabase.OpenOnReadOnlyStorage(Image, JournalDatabase.DefaultBusyTimeout, JournalReadOnlyAccess.PrivateWalIndex))
        {
            Assert.Equal(Lockdown, new SqliteSafetyStateStore(database).Load());
            using var reader = database.OpenConnection();
            using var command = reader.CreateCommand();
            command.CommandText = "SELECT mode FROM safety_state WHERE id = 1;";
            Assert.Equal("lockdown", command.ExecuteScalar());
        }

        Assert.False(File.Exists(Image + "-shm"));
        Assert.Equal(before, Hashes());
    }

    [Fact]
    public void With_no_WAL_left_the_file_alone_is_read()
    {
        using (var live = JournalDatabase.Open(_live.File("edgeguard.db")))
        {
            new SqliteSafetyStateStore(live).Save(Lockdown);
        }

        // A clean close checkpointed the WAL into the file and deleted it.
        Assert.False(File.Exists(_live.File("edgeguard.db-wal")));
        File.Copy(_live.File("edgeguard.db"), Image);

        using var database = JournalDatabase.OpenOnReadOnlyStorage(Image, JournalDatabase.DefaultBusyTimeout, JournalReadOnlyAccess.FileOnly);

        Assert.Equal(Lockdown, new SqliteSafetyStateStore(database).Load());
    }

    [Fact]
    public async Task Every_write_fails_with_SQLITE_READONLY_and_the_file_is_not_changed()
    {
        WriteImage(withShm: true);
        var before = Hashes();
        var errors = new List<Exception>();
        long lastSeq;
        using (var database = JournalDatabase.Open(Image, null, SqliteOpenMode.ReadOnly))
        {
            var saveFailure = Assert.Throws<JournalException>(() => new SqliteSafetyStateStore(database).Save(SafetyState.Initial));
            Assert.Equal(SqliteCodes.ReadOnly, SqliteCodes.Primary(Assert.IsType<SqliteException>(saveFailure.InnerException)));

            using var journal = new EventJournal(database, new FakeTimeProvider(T0), onError: e => { lock (errors) { errors.Add(e); } });
            lastSeq = journal.LastSeq;
            journal.Publish([new PointActivated(T0, "panic-1", PointKind.PanicButton, "zone-a"), new LockdownStarted(T0, "panic-button", "panic-1")]);
            journal.Publish([new PointActivated(T0, "door-1", PointKind.DoorContact, "zone-a")]);
            await journal.FlushAsync().WaitAsync(TimeSpan.FromSeconds(60));

            // No durable reservation in this run: even critical events are not handed out from memory,
            // where their seqs could be given to other events after the next start.
            Assert.Equal(lastSeq, journal.LastSeq);
            Assert.Equal(3, journal.Dropped);
            Assert.Equal(0, journal.CommittedBatches);
            Assert.True(journal.IsFull);
            Assert.Contains(errors, e => e.Message.Contains("read-only since the start", StringComparison.Ordinal));
        }

        Assert.Equal(before, Hashes());
    }

    [Fact]
    public async Task The_writer_does_not_spin_on_a_read_only_file()
    {
        WriteImage(withShm: true);
        var errors = 0;
        using var database = JournalDatabase.Open(Image, null, SqliteOpenMode.ReadOnly);
        using var journal = new EventJournal(database, new FakeTimeProvider(T0), onError: _ => Interlocked.Increment(ref errors));
        journal.Publish([new LockdownStarted(T0, "panic-button", "panic-1")]);
        await journal.FlushAsync().WaitAsync(TimeSpan.FromSeconds(60));
        var settled = Volatile.Read(ref errors);

        await Task.Delay(TimeSpan.FromSeconds(1));

        // Every failure is reported once; with nothing new to write nothing is retried.
        Assert.Equal(settled, Volatile.Read(ref errors));
        Assert.InRange(settled, 1, 4);
    }

    [Fact]
    public void The_session_counter_goes_on_from_the_saved_one_without_a_write()
    {
        long saved;
        using (var live = JournalDatabase.Open(_live.File("edgeguard.db")))
        using (var journal = new EventJournal(live, new FakeTimeProvider(T0)))
        {
            journal.NextSession();
            saved = journal.NextSession();
        }

        File.Copy(_live.File("edgeguard.db"), Image);
        var before = Hashes();
        using (var database = JournalDatabase.Open(Image, null, SqliteOpenMode.ReadOnly))
        using (var journal = new EventJournal(database, new FakeTimeProvider(T0)))
        {
            Assert.Equal(saved + 1, journal.NextSession());
            Assert.Equal(saved + 1, journal.NextSession()); // nothing saved, so the same in this process
        }

        Assert.Equal(before, Hashes());
    }

    [Fact]
    public void An_older_schema_on_read_only_storage_is_refused_naming_the_fix()
    {
        WriteImage(withShm: true);
        using (var live = new SqliteConnection($"Data Source={_live.File("edgeguard.db")};Pooling=False"))
        {
            live.Open();
            using var stamp = live.CreateCommand();
            stamp.CommandText = $"PRAGMA user_version={JournalDatabase.SchemaVersion - 1};";
            stamp.ExecuteNonQuery();
        }

        File.Delete(Image);
        File.Delete(Image + "-wal");
        File.Delete(Image + "-shm");
        File.Copy(_live.File("edgeguard.db"), Image);

        var refused = Assert.Throws<JournalException>(() => JournalDatabase.Open(Image, null, SqliteOpenMode.ReadOnly));

        Assert.Contains("cannot be upgraded: remount the file system read-write or replace the card", refused.Message, StringComparison.Ordinal);
        Assert.False(refused.FromNewerBuild);
    }

    // A gateway's file: a normal state checkpointed into the database file, then a lockdown saved
    // (in the WAL only) and some events, copied while the database is open.
    private void WriteImage(bool withShm)
    {
        var live = _live.File("edgeguard.db");
        using var database = JournalDatabase.Open(live);
        var store = new SqliteSafetyStateStore(database);
        store.Save(SafetyState.Initial);
        database.Read(connection =>
        {
            using var checkpoint = connection.CreateCommand();
            checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE);";
            return checkpoint.ExecuteScalar();
        });
        using (var journal = new EventJournal(database, new FakeTimeProvider(T0)))
        {
            journal.Publish([new GatewayStarted(T0, SiteMode.Normal, null)]);
            Assert.True(journal.FlushAsync().Wait(TimeSpan.FromSeconds(60)));
        }

        store.Save(Lockdown);
        File.Copy(live, Image);
        File.Copy(live + "-wal", Image + "-wal");
        if (withShm)
        {
            File.Copy(live + "-shm", Image + "-shm");
        }
    }

    // The database and its WAL, byte for byte. A missing WAL reads as an empty one: on a writable test
    // directory SQLite may create an empty -wal for a read-only connection, which a read-only file
    // system would not let it do, and which holds nothing.
    private string[] Hashes() =>
        [.. new[] { Image, Image + "-wal" }.Select(path => Convert.ToHexString(SHA256.HashData(File.Exists(path) ? File.ReadAllBytes(path) : [])))];
}
