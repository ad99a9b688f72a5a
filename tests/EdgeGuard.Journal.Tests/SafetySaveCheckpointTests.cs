using EdgeGuard.Core.Lockdown;
using static EdgeGuard.Journal.Tests.JournalDatabaseTests;

namespace EdgeGuard.Journal.Tests;

/// <summary>
/// SQLite's automatic WAL checkpoint runs inside whichever commit finds the WAL 1,000 pages long:
/// it copies them into the database file and fsyncs it, on an SD card for hundreds of milliseconds.
/// The safety-state save, made before any output moves, must not be that commit. Seen from outside
/// the process: a checkpoint is what writes to the database file itself (commits go to the WAL).
/// </summary>
public sealed class SafetySaveCheckpointTests : IDisposable
{
    private static readonly SafetyState Lockdown = new(
        SiteMode.Lockdown,
        new LockdownInfo("panic-button", "lobby-panic-1", JournalHarness.T0),
        SirenSounding: true);

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void A_save_leaves_the_due_WAL_checkpoint_to_the_next_ordinary_commit()
    {
        var path = _temp.File("gateway.db");
        using var database = JournalDatabase.Open(path);
        var store = new SqliteSafetyStateStore(database);
        Assert.Equal(JournalDatabase.AutoCheckpointPages, AutoCheckpoint(database));

        // Over 1,000 pages in the WAL and none checkpointed yet: written with the checkpoint off.
        database.Read(connection => { Execute(connection, "PRAGMA wal_autocheckpoint = 0;"); return 0; });
        Write(database, """
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1200)
            INSERT INTO seen_commands (id, forget_after, payload_sha256) SELECT 'filler-' || i, 0, randomblob(4000) FROM n;
            """);
        database.Read(connection => { Execute(connection, $"PRAGMA wal_autocheckpoint = {JournalDatabase.AutoCheckpointPages};"); return 0; });
        var before = new FileInfo(path).Length;

        store.Save(Lockdown);

        Assert.Equal(before, new FileInfo(path).Length); // the save ran no checkpoint...
        Assert.Equal(JournalDatabase.AutoCheckpointPages, AutoCheckpoint(database)); // ...and left it on

        Write(database, "DELETE FROM seen_commands WHERE id = 'filler-1';");
        Assert.True(new FileInfo(path).Length > before, "the next ordinary commit did not checkpoint");
        Assert.Equal(Lockdown, store.Load());
    }

    private static void Write(JournalDatabase database, string sql) => database.InTransaction(transaction =>
    {
        using var command = JournalDatabase.Command(transaction, sql);
        command.ExecuteNonQuery();
    });

    private static long AutoCheckpoint(JournalDatabase database) =>
        database.Read(connection => Scalar<long>(connection, "PRAGMA wal_autocheckpoint;"));
}
