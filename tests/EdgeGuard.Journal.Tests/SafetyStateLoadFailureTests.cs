using System.Diagnostics;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Testing;
using Microsoft.Data.Sqlite;
using static EdgeGuard.Journal.Tests.JournalDatabaseTests;

namespace EdgeGuard.Journal.Tests;

/// <summary>
/// Which failures of <see cref="SqliteSafetyStateStore.Load"/> the boot tries again: one that may
/// pass (the database busy or locked, an I/O error) is, so it no longer drops a lockdown in force;
/// a damaged row or file is final, as it reads the same at every try.
/// </summary>
public sealed class SafetyStateLoadFailureTests : IDisposable
{
    private static readonly SafetyState Locked = new(
        SiteMode.Lockdown, new LockdownInfo("panic-button", "lobby", new DateTimeOffset(2026, 11, 23, 7, 0, 0, TimeSpan.Zero)), true);

    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData(5, 5)] // SQLITE_BUSY
    [InlineData(6, 6)] // SQLITE_LOCKED
    [InlineData(10, 10 | (1 << 8))] // SQLITE_IOERR_READ
    [InlineData(5, 5 | (2 << 8))] // SQLITE_BUSY_SNAPSHOT
    public void A_busy_or_io_failure_as_the_journal_wraps_it_may_pass(int code, int extended) =>
        Assert.True(SqliteSafetyStateStore.IsPassingLoadFailure(
            new JournalException("read failed", new SqliteException("SQLite error", code, extended))));

    [Theory]
    [InlineData(11)] // SQLITE_CORRUPT
    [InlineData(26)] // SQLITE_NOTADB
    [InlineData(13)] // SQLITE_FULL: a load writes nothing; not a reason that passes by itself
    public void A_damaged_file_is_final(int code) =>
        Assert.False(SqliteSafetyStateStore.IsPassingLoadFailure(
            new JournalException("is corrupt", new SqliteException("SQLite error", code))));

    [Fact]
    public void A_load_under_another_process_lock_gives_up_soon_names_the_lock_and_may_pass()
    {
        var path = _temp.File("gateway.db");
        using var database = JournalDatabase.Open(path);
        var store = new SqliteSafetyStateStore(database);
        store.Save(Locked);

        JournalException refusal;
        var start = Stopwatch.GetTimestamp();
        using (new WalRecoveryLock(path))
        {
            refusal = Assert.Throws<JournalException>(store.Load);
        }

        // Before: it sat in SQLite's busy handler for the connection's 5 s busy_timeout (and
        // Microsoft.Data.Sqlite's retries for its 5 s command timeout), past the boot's 5 s
        // deadline, so the boot never tried it again. Well within that deadline (about 1.5 s: a
        // 250 ms busy timeout and the 1 s retries), with room for a loaded host.
        Assert.InRange(Stopwatch.GetElapsedTime(start), TimeSpan.Zero, TimeSpan.FromSeconds(4));
        Assert.Contains("locked by another process", refusal.Message, StringComparison.Ordinal);
        Assert.True(SqliteSafetyStateStore.IsPassingLoadFailure(refusal));

        // Once the lock is gone, the same store reads the row; the journal's writers keep their
        // own busy timeout.
        Assert.Equal(Locked, store.Load());
        Assert.Equal(5000L, database.Read(c => { using var q = c.CreateCommand(); q.CommandText = "PRAGMA busy_timeout;"; return (long)q.ExecuteScalar()!; }));
    }

    [Fact]
    public void A_damaged_row_is_final()
    {
        var path = _temp.File("gateway.db");
        using (var database = JournalDatabase.Open(path))
        {
            new SqliteSafetyStateStore(database).Save(Locked);
        }

        using (var raw = OpenRaw(path))
        {
            Execute(raw, "UPDATE safety_state SET mode = 'curfew' WHERE id = 1;");
        }

        using var reopened = JournalDatabase.Open(path);
        var refusal = Assert.Throws<JournalException>(new SqliteSafetyStateStore(reopened).Load);

        Assert.False(SqliteSafetyStateStore.IsPassingLoadFailure(refusal));
    }
}
