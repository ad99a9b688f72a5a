using Microsoft.Data.Sqlite;
using static EdgeGuard.Journal.Tests.JournalHarness;

namespace EdgeGuard.Journal.Tests;

/// <summary>
/// The MQTT session counter on a disk that cannot take the write at boot (full, failing). Before,
/// NextSession threw, the publisher retried it for ever and the office got no birth, no retained
/// state and no will. Now it hands out the saved value + 1 unsaved and saves it once it can; the
/// value never goes below one the office has seen.
/// </summary>
public sealed class SessionCounterTests : IDisposable
{
    private readonly JournalHarness _h = new();

    public void Dispose() => _h.Dispose();

    /// <summary>What the failing commit reports: primary code, extended code.</summary>
    public static TheoryData<int, int> WriteFailures => new()
    {
        { 13, 13 }, // SQLITE_FULL
        { 10, 778 }, // SQLITE_IOERR_WRITE
        { 10, 1034 }, // SQLITE_IOERR_FSYNC
        { 8, 8 }, // SQLITE_READONLY
    };

    [Theory]
    [MemberData(nameof(WriteFailures))]
    public async Task A_write_failure_hands_out_the_saved_value_plus_1_unsaved_and_saves_it_once_the_journal_can_write(int code, int extended)
    {
        Assert.Equal(1, _h.Journal.NextSession());
        _h.Journal.BeforeSessionCommit = () => throw new SqliteException("disk failure", code, extended);

        Assert.Equal(2, _h.Journal.NextSession()); // threw, and the publisher retried for ever
        Assert.Equal(1, SavedSession());
        Assert.Contains("session 2", Assert.Single(_h.Errors).Message, StringComparison.Ordinal);

        // Room again: the writer's next round saves it, so the next start goes on after it.
        _h.Journal.BeforeSessionCommit = null;
        await _h.PublishAndFlush(Activated(1));
        Assert.Equal(2, SavedSession());
        _h.Reopen();
        Assert.Equal(3, _h.Journal.NextSession());
    }

    [Fact]
    public async Task A_failing_save_later_is_retried_and_reported_once()
    {
        _h.Database.FreeSpace = () => 0; // the card is full: the ballast it frees stays out
        _h.Journal.BeforeSessionCommit = () => throw new SqliteException("database or disk is full", 13);
        Assert.Equal(1, _h.Journal.NextSession());

        await _h.PublishAndFlush(Activated(1));
        await _h.PublishAndFlush(Activated(2));
        Assert.Equal(0, SavedSession());
        // The hand-out, then the first failed save; not every round. And, once, the ballast the
        // full disk made the database release (JournalDatabase.Ballast.cs).
        Assert.Equal(3, _h.Errors.Count);
        Assert.Single(_h.Errors, ex => ex.Message.Contains("ballast", StringComparison.Ordinal));

        _h.Journal.BeforeSessionCommit = null;
        await _h.PublishAndFlush(Activated(3));
        Assert.Equal(1, SavedSession());
    }

    // The one case a value repeats (README, "The session counter"): a second start before any save
    // succeeded. It never goes below a value handed out, so no will looks newer than a birth.
    [Fact]
    public async Task A_restart_before_the_save_repeats_the_value_never_a_lower_one()
    {
        Assert.Equal(1, _h.Journal.NextSession());
        _h.Journal.BeforeSessionCommit = () => throw new SqliteException("database or disk is full", 13);
        Assert.Equal(2, _h.Journal.NextSession());

        _h.Reopen();
        _h.Journal.BeforeSessionCommit = () => throw new SqliteException("database or disk is full", 13);
        Assert.Equal(2, _h.Journal.NextSession());
        _h.Journal.BeforeSessionCommit = null;
        await _h.PublishAndFlush(Activated(1));

        _h.Reopen();
        Assert.Equal(3, _h.Journal.NextSession());
    }

    [Fact]
    public void A_busy_database_still_throws_for_the_publisher_to_retry()
    {
        _h.Journal.BeforeSessionCommit = () => throw new SqliteException("database is locked", 5);

        Assert.Throws<JournalException>(() => _h.Journal.NextSession());
        Assert.Equal(0, SavedSession());
    }

    // A journal restored from an older copy (session 50) finds the broker at session 100: the
    // publisher takes one above it, saved, and the next start counts on from there.
    [Fact]
    public void A_session_above_a_floor_is_above_both_and_saved_for_the_next_start()
    {
        for (var i = 0; i < 50; i++)
        {
            _h.Journal.NextSession();
        }

        Assert.Equal(101, _h.Journal.NextSessionAbove(100));
        Assert.Equal(101, SavedSession());
        Assert.Equal(102, _h.Journal.NextSessionAbove(20)); // a floor below the counter: just the next
        _h.Reopen();
        Assert.Equal(103, _h.Journal.NextSession());
    }

    private long SavedSession() => _h.Database.Read(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT coalesce((SELECT session FROM gateway_meta WHERE id = 1), 0);";
        return (long)command.ExecuteScalar()!;
    });
}
