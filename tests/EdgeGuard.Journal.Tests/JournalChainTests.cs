using Microsoft.Data.Sqlite;
using static EdgeGuard.Journal.Tests.JournalHarness;

namespace EdgeGuard.Journal.Tests;

/// <summary>
/// The hash chain as the writer builds it (many batches, retention, restarts, an upgraded file)
/// and as <see cref="JournalVerifier"/> checks it after the SQLite file was tampered with.
/// </summary>
public sealed class JournalChainTests
{
    private static readonly TimeSpan Month = TimeSpan.FromDays(30);

    [Fact]
    public async Task Every_row_carries_its_predecessors_hash_and_the_chain_verifies_after_many_events()
    {
        using var h = new JournalHarness();
        for (var batch = 0; batch < 5; batch++)
        {
            await h.PublishAndFlush(Enumerable.Range(batch * 1000, 1000).Select(i => Activated(i)).ToArray());
        }

        var rows = Rows(h.Path);
        Assert.Equal(5000, rows.Count);
        Assert.Equal(new byte[32], rows[0].PrevHash);
        for (var i = 1; i < rows.Count; i++)
        {
            Assert.Equal(rows[i - 1].Hash, rows[i].PrevHash);
        }

        var report = Verify(h.Path);
        Assert.True(report.IsIntact, Describe(report));
        Assert.Equal((5000L, 1L, 5000L, 1L, 0L), (report.Entries, report.FirstSeq!.Value, report.LastSeq, report.ChainStart, report.AnchorSeq));
    }

    [Fact]
    public void The_hash_is_SHA256_over_the_previous_hash_and_the_documented_canonical_bytes()
    {
        // Pinned so that a change to the encoding, which would fail every journal in the field, fails here first.
        var row = new ChainedRow(1, "0195a2b0-0000-7000-8000-000000000001", "2025-03-14T09:00:00.0000000Z", 42, "point.activated", "p1", null, "info", 0, "{}");
        var expected = new List<byte>(new byte[32]);
        expected.AddRange([0, 0, 0, 0, 0, 0, 0, 1]);
        void Text(string? s)
        {
            if (s is null)
            {
                expected.AddRange([0xFF, 0xFF, 0xFF, 0xFF]);
                return;
            }

            var bytes = System.Text.Encoding.UTF8.GetBytes(s);
            expected.AddRange([0, 0, (byte)(bytes.Length >> 8), (byte)bytes.Length]);
            expected.AddRange(bytes);
        }

        Text(row.Id);
        Text(row.Timestamp);
        expected.AddRange([0, 0, 0, 0, 0, 0, 0, 42]);
        Text(row.Type);
        Text(row.Point);
        Text(row.Zone);
        Text(row.Severity);
        expected.AddRange([0, 0, 0, 0, 0, 0, 0, 0]);
        Text(row.Data);

        Assert.Equal(System.Security.Cryptography.SHA256.HashData(expected.ToArray()), new JournalChain().Hash(JournalChain.Genesis, row));
    }

    [Fact]
    public async Task The_chain_verifies_after_retention_trims_the_head_because_the_anchor_moves_with_the_delete()
    {
        using var h = new JournalHarness(new JournalLimits(1000, Month));
        // The writer trims on its own while batches arrive and are delivered; then the tool's way.
        for (var batch = 0; batch < 3; batch++)
        {
            await h.PublishAndFlush(Enumerable.Range(batch * 1000, 1000).Select(i => Activated(i)).ToArray());
            h.Journal.MarkDelivered(h.Journal.LastSeq - (batch == 2 ? 500 : 0));
        }

        h.Journal.EnforceRetention();

        var rows = Rows(h.Path);
        Assert.Equal(2001, rows[0].Row.Seq);
        var report = Verify(h.Path);
        Assert.True(report.IsIntact, Describe(report));
        Assert.Equal(2000, report.AnchorSeq);

        // And again once everything delivered is gone and new rows follow the anchor.
        h.Journal.MarkDelivered(3000);
        h.Time.Advance(TimeSpan.FromDays(60));
        h.Journal.EnforceRetention();
        Assert.Empty(Rows(h.Path));
        Assert.True(Verify(h.Path).IsIntact, Describe(Verify(h.Path)));
        await h.PublishAndFlush(Activated(1, T0.AddDays(60)));
        report = Verify(h.Path);
        Assert.True(report.IsIntact, Describe(report));
        Assert.Equal((3000L, 3001L), (report.AnchorSeq, report.LastSeq));
    }

    [Fact]
    public async Task The_chain_continues_across_a_restart()
    {
        using var h = new JournalHarness();
        await h.PublishAndFlush(Enumerable.Range(1, 10).Select(i => Activated(i)).ToArray());
        h.Reopen();
        await h.PublishAndFlush(Enumerable.Range(11, 10).Select(i => Activated(i)).ToArray());

        var rows = Rows(h.Path);
        Assert.Equal(rows[9].Hash, rows[10].PrevHash);
        var report = Verify(h.Path);
        Assert.True(report.IsIntact, Describe(report));
        Assert.Equal(20, report.LastSeq);
    }

    [Fact]
    public async Task Rows_from_before_the_upgrade_stay_unchained_and_the_chain_starts_at_the_next_row_anchored_at_genesis()
    {
        using var temp = new TempDirectory();
        var path = temp.File("v7.db");
        using (var raw = Open(path))
        {
            JournalDatabaseTests.Execute(raw, "PRAGMA journal_mode = WAL;");
            for (var version = 0; version < 7; version++)
            {
                JournalDatabaseTests.Execute(raw, JournalSchema.MigrationFrom(version));
            }

            for (var seq = 1; seq <= 3; seq++)
            {
                JournalDatabaseTests.Execute(raw, $"INSERT INTO events VALUES ({seq}, '0195a2b0-0000-7000-8000-00000000000{seq}', '2025-03-14T09:00:00.0000000Z', 0, 'siren.timed-out', NULL, NULL, 'info', 0, '{{}}');");
            }

            JournalDatabaseTests.Execute(raw, $"UPDATE gateway_meta SET last_seq = 3; PRAGMA application_id = {JournalSchema.ApplicationId}; PRAGMA user_version = 7;");
        }

        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(T0);
        using (var database = JournalDatabase.Open(path))
        using (var journal = new EventJournal(database, time, new JournalLimits(1000, Month)))
        {
            journal.Publish([Activated(4), Activated(5)]);
            await journal.FlushAsync().WaitAsync(Patience);

            var report = Verify(path);
            Assert.True(report.IsIntact, Describe(report));
            Assert.Equal((5L, 3L, 4L, 3L, 5L), (report.Entries, report.Unchained, report.ChainStart, report.AnchorSeq, report.LastSeq));
            Assert.Equal(new byte[32], Rows(path)[3].PrevHash);

            // Retention of the unchained rows leaves the anchor; of chained ones, moves it.
            journal.MarkDelivered(4);
            time.Advance(TimeSpan.FromDays(60));
            journal.EnforceRetention();
            report = Verify(path);
            Assert.True(report.IsIntact, Describe(report));
            Assert.Equal((1L, 0L, 4L), (report.Entries, report.Unchained, report.AnchorSeq));
        }
    }

    [Fact]
    public async Task An_edited_row_is_reported_at_its_seq()
    {
        using var h = await Journal(30);
        Sql(h.Path, """UPDATE events SET data = '{"kind":"doorContact","active":false}' WHERE seq = 17;""");

        var problem = Assert.Single(Verify(h.Path).Problems);
        Assert.Equal((JournalProblemKind.Edited, 17L), (problem.Kind, problem.Seq));
        Assert.Contains("seq 17", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_row_rewritten_with_a_recomputed_hash_breaks_the_link_to_the_next_row()
    {
        using var h = await Journal(30);
        var row = Rows(h.Path)[16];
        var forged = row.Row with { Data = """{"kind":"doorContact","active":false}""" };
        using (var raw = Open(h.Path))
        using (var command = raw.CreateCommand())
        {
            command.CommandText = "UPDATE events SET data = $data, hash = $hash WHERE seq = 17;";
            command.Parameters.AddWithValue("$data", forged.Data);
            command.Parameters.AddWithValue("$hash", new JournalChain().Hash(row.PrevHash, forged));
            command.ExecuteNonQuery();
        }

        var problem = Assert.Single(Verify(h.Path).Problems);
        Assert.Equal((JournalProblemKind.BrokenLink, 17L, 18L), (problem.Kind, problem.Seq, problem.ThroughSeq));
    }

    [Fact]
    public async Task A_deleted_row_is_reported_as_the_missing_seq_between_its_neighbours()
    {
        using var h = await Journal(30);
        Sql(h.Path, "DELETE FROM events WHERE seq = 12;");

        var problem = Assert.Single(Verify(h.Path).Problems);
        Assert.Equal((JournalProblemKind.Deleted, 12L, 12L), (problem.Kind, problem.Seq, problem.ThroughSeq));
        Assert.Contains("between seq 11 and seq 13", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rows_deleted_from_the_front_without_retention_are_reported_after_the_anchor()
    {
        using var h = await Journal(30);
        Sql(h.Path, "DELETE FROM events WHERE seq <= 4;");

        var problem = Assert.Single(Verify(h.Path).Problems);
        Assert.Equal((JournalProblemKind.Deleted, 1L, 4L), (problem.Kind, problem.Seq, problem.ThroughSeq));
    }

    [Fact]
    public async Task Swapped_seq_values_are_reported_as_reordered_rows()
    {
        using var h = await Journal(30);
        Sql(h.Path, "UPDATE events SET seq = 1000000 WHERE seq = 10; UPDATE events SET seq = 10 WHERE seq = 11; UPDATE events SET seq = 11 WHERE seq = 1000000;");

        var report = Verify(h.Path);
        var reordered = report.Problems.Where(p => p.Kind == JournalProblemKind.Reordered).Select(p => (p.Seq, p.ThroughSeq)).ToList();
        Assert.Equal([(10L, (long?)11L), (11L, 10L)], reordered);
        Assert.All(report.Problems, p => Assert.InRange(p.Seq, 9, 11));
        Assert.Contains("seq 10 holds the entry written as seq 11", Describe(report), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Swapped_contents_are_reported_at_both_seqs()
    {
        using var h = await Journal(30);
        // Every value column of 20 and 21 exchanged, hashes left in place (ids made unique first).
        Sql(h.Path, """
            CREATE TEMP TABLE t AS SELECT * FROM events WHERE seq IN (20, 21);
            UPDATE events SET id = id || '-' WHERE seq IN (20, 21);
            UPDATE events SET
                id = (SELECT id FROM t WHERE t.seq = 41 - events.seq), ts = (SELECT ts FROM t WHERE t.seq = 41 - events.seq),
                mono = (SELECT mono FROM t WHERE t.seq = 41 - events.seq), type = (SELECT type FROM t WHERE t.seq = 41 - events.seq),
                point = (SELECT point FROM t WHERE t.seq = 41 - events.seq), zone = (SELECT zone FROM t WHERE t.seq = 41 - events.seq),
                severity = (SELECT severity FROM t WHERE t.seq = 41 - events.seq), drill = (SELECT drill FROM t WHERE t.seq = 41 - events.seq),
                data = (SELECT data FROM t WHERE t.seq = 41 - events.seq)
            WHERE seq IN (20, 21);
            """);

        var report = Verify(h.Path);
        Assert.Equal([(JournalProblemKind.Reordered, 20L), (JournalProblemKind.Reordered, 21L)], report.Problems.Select(p => (p.Kind, p.Seq)));
        Assert.Contains("seq 20 holds the values written as seq 21", Describe(report), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Newest_rows_deleted_are_seen_from_gateway_meta_and_from_the_offices_last_seq_when_meta_was_rewritten_too()
    {
        using var h = await Journal(30);
        Sql(h.Path, "DELETE FROM events WHERE seq > 27;");
        var problem = Assert.Single(Verify(h.Path).Problems);
        Assert.Equal((JournalProblemKind.Truncated, 28L, 30L), (problem.Kind, problem.Seq, problem.ThroughSeq));

        // A careful attacker also rewinds gateway_meta: only a count kept elsewhere shows it.
        Sql(h.Path, "UPDATE gateway_meta SET last_seq = 27, chain_head = (SELECT hash FROM events WHERE seq = 27);");
        Assert.True(Verify(h.Path).IsIntact);
        using var reader = JournalReader.Open(h.Path);
        problem = Assert.Single(JournalVerifier.Verify(reader, officeLastSeq: 30).Problems);
        Assert.Equal((JournalProblemKind.Truncated, 28L, 30L), (problem.Kind, problem.Seq, problem.ThroughSeq));
    }

    [Fact]
    public async Task An_anchor_moved_past_the_delivery_cursor_is_reported()
    {
        using var h = await Journal(30);
        Sql(h.Path, "DELETE FROM events WHERE seq <= 5; UPDATE gateway_meta SET chain_anchor_seq = 5, chain_anchor_hash = X'" + Convert.ToHexString(Rows(h.Path)[5].PrevHash!) + "';");

        Assert.Contains(Verify(h.Path).Problems, p => p.Kind == JournalProblemKind.Anchor && p.Seq == 5);
    }

    [Fact]
    public async Task The_reader_refuses_what_it_cannot_verify_and_never_creates_a_file()
    {
        using var temp = new TempDirectory();
        Assert.Contains("does not exist", Assert.Throws<JournalException>(() => JournalReader.Open(temp.File("none.db"))).Message, StringComparison.Ordinal);
        Assert.False(File.Exists(temp.File("none.db")));

        using var h = await Journal(1);
        Sql(h.Path, "PRAGMA user_version = 7;");
        Assert.Contains("before the hash chain", Assert.Throws<JournalException>(() => JournalReader.Open(h.Path)).Message, StringComparison.Ordinal);
    }

    private static async Task<JournalHarness> Journal(int events)
    {
        var h = new JournalHarness();
        await h.PublishAndFlush(Enumerable.Range(1, events).Select(i => Activated(i)).ToArray());
        return h;
    }

    private static JournalVerification Verify(string path)
    {
        using var reader = JournalReader.Open(path);
        return JournalVerifier.Verify(reader);
    }

    private static List<StoredEvent> Rows(string path)
    {
        using var reader = JournalReader.Open(path);
        return [.. reader.ReadFrom(0)];
    }

    private static string Describe(JournalVerification report) => string.Join(Environment.NewLine, report.Problems.Select(p => p.Message));

    private static SqliteConnection Open(string path)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    // Tampering as someone with the sqlite3 shell would, while the gateway's journal is open (WAL).
    private static void Sql(string path, string sql)
    {
        using var connection = Open(path);
        JournalDatabaseTests.Execute(connection, sql);
    }
}
