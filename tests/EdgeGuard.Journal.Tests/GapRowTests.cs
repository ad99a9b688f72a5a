using EdgeGuard.Core.Lockdown;
using Microsoft.Data.Sqlite;
using static EdgeGuard.Journal.Tests.JournalHarness;

namespace EdgeGuard.Journal.Tests;

/// <summary>
/// A start reads the ranges the journal.gap rows declare (retention and the journal-full policy
/// do not count those seqs as records). One damaged gap row (storage corruption, a hand edit)
/// must stop neither the start nor delivery: the seq jump in front of the row stands in for what
/// it declared, and the host is told.
/// </summary>
public sealed class GapRowTests : IDisposable
{
    private readonly JournalHarness _h = new();

    public void Dispose() => _h.Dispose();

    /// <summary>What the damaged data column holds instead of the row's range.</summary>
    public static TheoryData<string> Damage => new()
    {
        "'{\"fromSeq\":2,\"throughSe'", // not JSON: json_extract raised "malformed JSON"
        "'{\"fromSeq\":\"2\",\"throughSeq\":\"11\",\"cause\":\"unclean-shutdown\"}'", // text read as 0
        "'{\"fromSeq\":2.5,\"throughSeq\":11,\"cause\":\"unclean-shutdown\"}'", // not an integer
        "'{\"cause\":\"unclean-shutdown\"}'", // the range is missing
        "'[2,11]'", // JSON, not an object
        "'{\"fromSeq\":12,\"throughSeq\":40,\"cause\":\"unclean-shutdown\"}'", // not below its row
    };

    // A journal restored from an older copy (last seq 3) finds the broker's orderly offline at
    // lastSeq 9000: it skips to above it, declared by the next row, and the fault follows it.
    [Fact]
    public async Task A_journal_that_went_back_skips_past_the_brokers_last_seq_with_a_gap_row()
    {
        await _h.PublishAndFlush(Activated(1), Activated(2), Activated(3));

        Assert.True(_h.Journal.SkipSeqsThrough(9000));
        Assert.False(_h.Journal.SkipSeqsThrough(20)); // already past it
        await _h.PublishAndFlush(new JournalWentBack(DateTimeOffset.UnixEpoch.AddDays(20000), 50, 100, 101, 3, 9000));

        var records = _h.Journal.ReadAfter(3, 10);
        Assert.Equal([9001L, 9002], records.Select(record => record.Seq));
        Assert.Equal("journal.gap", records[0].Type);
        Assert.Equal("""{"fromSeq":4,"throughSeq":9000,"cause":"went-back"}""", records[0].DataJson);
        Assert.Equal("fault.journal-went-back", records[1].Type);
        Assert.Equal("""{"session":50,"brokerSession":100,"raisedSession":101,"lastSeq":3,"brokerLastSeq":9000}""", records[1].DataJson);
        _h.Reopen();
        Assert.Equal(new[] { (4L, 9000L) }, _h.Journal.DeclaredGaps);
        await _h.PublishAndFlush(Activated(4));
        Assert.Equal(9003, _h.Journal.LastSeq);
        AssertIntact(_h.Path); // the chain and the gap row check out
    }

    // The same evidence found while the commit of an event handed out before it runs, and that
    // commit fails (a full disk): the row declares the failed seq too. It declared only the
    // skipped ones before, from the seq after the failed one, and verify called seq 4 deleted.
    [Fact]
    public async Task A_skip_found_while_a_failing_commit_runs_declares_the_failed_seq_too()
    {
        await _h.PublishAndFlush(Activated(1), Activated(2), Activated(3));
        var skipped = false;
        _h.Journal.BeforeCommit = _ =>
        {
            // On the writer, inside the commit of seq 4, which holds no append gate; every
            // commit fails until the disk has room again.
            if (!skipped)
            {
                skipped = true;
                Assert.True(_h.Journal.SkipSeqsThrough(9000));
            }

            throw new SqliteException("database or disk is full", 13);
        };
        await _h.PublishAndFlush(Activated(4));
        Assert.True(skipped);
        Assert.Equal("p4", Assert.Single(_h.Journal.ReadAfter(3, 10)).Point); // handed out from memory

        _h.Journal.BeforeCommit = null;
        await _h.PublishAndFlush(Activated(5));

        var gap = Assert.Single(_h.All(), record => record.Type == "journal.gap");
        Assert.Equal("""{"fromSeq":4,"throughSeq":9000,"cause":"went-back"}""", gap.DataJson);
        Assert.Equal(9001, gap.Seq);
        Assert.Equal("p5", _h.All()[^1].Point);
        _h.Reopen();
        Assert.Equal(new[] { (4L, 9000L) }, _h.Journal.DeclaredGaps);
        AssertIntact(_h.Path);
    }

    [Fact]
    public async Task A_start_reads_the_ranges_the_gap_rows_declare()
    {
        await AGapRowAtSeq12DeclaringSeqs2Through11();

        _h.Reopen();

        Assert.Equal(new[] { (2L, 11L) }, _h.Journal.DeclaredGaps);
        Assert.Empty(_h.Errors);
    }

    [Theory]
    [MemberData(nameof(Damage))]
    public async Task A_damaged_gap_row_stops_no_start_its_seq_jump_stands_in_and_the_host_is_told(string data)
    {
        await AGapRowAtSeq12DeclaringSeqs2Through11();
        Update($"UPDATE events SET data = {data} WHERE seq = 12;");

        _h.Reopen(); // threw a JournalException out of the constructor for malformed JSON

        Assert.Equal(new[] { (2L, 11L) }, _h.Journal.DeclaredGaps);
        var reported = Assert.IsType<JournalException>(Assert.Single(_h.Errors));
        Assert.Contains("event 12 (journal.gap)", reported.Message, StringComparison.Ordinal);
        Assert.Contains("seqs 2 to 11", reported.Message, StringComparison.Ordinal);

        // The gateway carries on: the next event goes in after it, and delivery reads past it.
        await _h.PublishAndFlush(Activated(20));
        Assert.Equal(14, _h.Journal.LastSeq);
        Assert.Equal([12L, 13, 14], _h.Journal.ReadAfter(1, 10).Select(record => record.Seq));
    }

    // A gap row with nothing in front of it (retention deleted every row before it) has no jump to
    // stand in: nothing is declared, and the start still goes on.
    [Fact]
    public async Task A_damaged_gap_row_that_is_the_first_row_declares_nothing_and_stops_nothing()
    {
        await AGapRowAtSeq12DeclaringSeqs2Through11();
        Update("DELETE FROM events WHERE seq = 1; UPDATE events SET data = '{' WHERE seq = 12;");

        _h.Reopen();

        Assert.Empty(_h.Journal.DeclaredGaps);
        Assert.Contains("event 12 (journal.gap)", Assert.Single(_h.Errors).Message, StringComparison.Ordinal);
        await _h.PublishAndFlush(Activated(20));
        Assert.Equal(14, _h.Journal.LastSeq);
    }

    // Seq 1 committed, then a start after an unclean stop with seqs reserved through 11: the gap
    // row (seq 12) declares 2 to 11, and seq 13 follows it.
    private async Task AGapRowAtSeq12DeclaringSeqs2Through11()
    {
        await _h.PublishAndFlush(Activated(1));
        // After the journal's stop, which gives its reservation back: as a power cut leaves it.
        _h.Journal.Dispose();
        Update("UPDATE gateway_meta SET reserved_through = 11 WHERE id = 1;");
        _h.Reopen();
        await _h.PublishAndFlush(Activated(2));
        var records = _h.All();
        Assert.Equal(["point.activated", "journal.gap", "point.activated"], records.Select(r => r.Type));
        Assert.Equal([1L, 12, 13], records.Select(r => r.Seq));
        _h.Errors.Clear();
    }

    private void Update(string sql) => _h.Database.InTransaction(transaction =>
    {
        using var command = transaction.Connection!.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command.ExecuteNonQuery();
    });
}
