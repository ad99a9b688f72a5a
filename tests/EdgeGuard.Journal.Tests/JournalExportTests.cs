using EdgeGuard.Core.Lockdown;
using static EdgeGuard.Journal.Tests.JournalHarness;

namespace EdgeGuard.Journal.Tests;

/// <summary>
/// <c>journal export</c> reads in pages of short read transactions
/// (<see cref="JournalReader.ExportFrom"/>): one read transaction held while streaming to a stalled pipe kept every checkpoint from
/// resetting the gateway's WAL, which grew without limit. And the gateway's connection caps the
/// WAL it keeps after a checkpoint (journal_size_limit).
/// </summary>
public sealed class JournalExportTests : IDisposable
{
    private readonly JournalHarness _h = new();

    public void Dispose() => _h.Dispose();

    [Theory]
    [InlineData(1, 7)]
    [InlineData(1, 1000)]
    [InlineData(1234, 7)]
    [InlineData(2500, 7)]
    [InlineData(2501, 7)]
    public async Task An_export_of_many_rows_is_complete_and_in_seq_order_across_pages(long from, int pageSize)
    {
        await _h.PublishAndFlush([.. Enumerable.Range(1, 2500).Select(i => (DomainEvent)Activated(i))]);
        using var reader = JournalReader.Open(_h.Path);
        reader.ExportPageSize = pageSize;

        var exported = reader.ExportFrom(from).ToList();

        var expected = reader.InSnapshot(r => r.ReadFrom(from).ToList());
        Assert.Equal(expected.Select(e => e.Row.Seq), exported.Select(e => e.Row.Seq));
        Assert.Equal(Enumerable.Range((int)from, Math.Max(0, 2501 - (int)from)).Select(i => (long)i), exported.Select(e => e.Row.Seq));
        Assert.Equal(expected.Select(e => (e.Row, Convert.ToHexString(e.Hash!))), exported.Select(e => (e.Row, Convert.ToHexString(e.Hash!))));
    }

    // The pipe the export writes to stalls (a `| less` nobody scrolls) while the gateway goes on
    // journaling: the gateway's checkpoint can still reset its WAL, and the export then goes on
    // with the rows that were there when it began, none twice, none of those appended since.
    [Fact]
    public async Task While_an_export_is_stalled_between_rows_the_gateway_can_reset_its_WAL()
    {
        await _h.PublishAndFlush([.. Enumerable.Range(1, 50).Select(i => (DomainEvent)Activated(i))]);
        using var reader = JournalReader.Open(_h.Path);
        reader.ExportPageSize = 10;
        using var rows = reader.ExportFrom(1).GetEnumerator();
        Assert.True(rows.MoveNext());
        Assert.Equal(1, rows.Current.Row.Seq);

        await _h.PublishAndFlush([.. Enumerable.Range(51, 50).Select(i => (DomainEvent)Activated(i))]);
        var (busy, _, _) = Checkpoint("TRUNCATE");

        Assert.Equal(0, busy); // 1: the export's read transaction kept the WAL from being reset
        Assert.Equal(0, new FileInfo(_h.Path + "-wal").Length);
        var seqs = new List<long> { rows.Current.Row.Seq };
        while (rows.MoveNext())
        {
            seqs.Add(rows.Current.Row.Seq);
        }

        Assert.Equal(Enumerable.Range(1, 50).Select(i => (long)i), seqs);
    }

    [Fact]
    public void The_gateways_connection_caps_the_WAL_it_keeps_after_a_checkpoint()
    {
        var limit = _h.Database.Read(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA journal_size_limit;";
            return (long)command.ExecuteScalar()!;
        });

        Assert.Equal(JournalDatabase.WalSizeLimit, limit); // -1 (no limit) before
        Assert.Equal(8L * 1024 * 1024, JournalDatabase.WalSizeLimit);
    }

    private (long Busy, long Log, long Checkpointed) Checkpoint(string mode) => _h.Database.Read(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA wal_checkpoint({mode});";
        using var result = command.ExecuteReader();
        result.Read();
        return (result.GetInt64(0), result.GetInt64(1), result.GetInt64(2));
    });
}
