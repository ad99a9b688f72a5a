using System.Text.Json;
using EdgeGuard.Core.Lockdown;
using static EdgeGuard.Journal.Tests.EventDataWriterTests;
using static EdgeGuard.Journal.Tests.JournalHarness;

namespace EdgeGuard.Journal.Tests;

/// <summary>
/// A stored row whose fields are not what the journal wrote (storage corruption): the tools refuse
/// it by seq; the publisher gets a journal.unreadable record in its place and goes on past it.
/// </summary>
public sealed class UnreadableRowTests : IDisposable
{
    private readonly JournalHarness _h = new();

    public void Dispose() => _h.Dispose();

    public static TheoryData<string, string, string> Damage => new()
    {
        { "severity", "'Panic'", "has unknown severity 'Panic'." },
        { "ts", "'yesterday'", "has timestamp 'yesterday', not ISO-8601 round-trip text." },
        { "type", "'Point Activated'", "has type 'Point Activated', not an event type." },
        { "data", "'{\"kind\":\"doorCon'", "has data that is not a JSON object." },
        { "data", "'[1,2]'", "has data that is not a JSON object." },
        { "data", "'{} {}'", "has data that is not a JSON object." },
    };

    [Theory]
    [MemberData(nameof(Damage))]
    public async Task Delivery_gets_a_critical_journal_unreadable_in_the_rows_place_and_the_rows_after_it(string column, string value, string problem)
    {
        var stored = await ThreeEventsWithTheSecondDamaged(column, value);

        var records = _h.Journal.ReadAfter(0, 10);

        Assert.Equal([1L, 2, 3], records.Select(r => r.Seq));
        Assert.Equal(["point.activated", EventJournal.UnreadableType, "point.activated"], records.Select(r => r.Type));
        var unreadable = records[1];
        Assert.Equal(stored.Id, unreadable.Id); // still a UUID: an office that has the event drops this as a duplicate
        Assert.Equal((Severity.Critical, false, null, null), (unreadable.Severity, unreadable.Drill, unreadable.Point, unreadable.Zone));
        Assert.Equal(stored.Monotonic, unreadable.Monotonic);
        if (column != "ts")
        {
            Assert.Equal(stored.Timestamp, unreadable.Timestamp);
        }

        AssertData(unreadable.DataJson, ("problem", problem), ("storedType", column == "type" ? null : "point.activated"));
        var reported = Assert.IsType<JournalException>(Assert.Single(_h.Errors));
        Assert.Contains($"event 2 {problem}", reported.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Damage))]
    public async Task The_tools_refuse_the_row_naming_its_seq_and_problem(string column, string value, string problem)
    {
        await ThreeEventsWithTheSecondDamaged(column, value);

        var ex = Assert.Throws<JournalException>(() => _h.Journal.Read(0, 10));

        Assert.Contains($"event 2 {problem}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_damaged_id_gets_the_same_UUIDv7_shaped_id_on_every_read_and_delivery_goes_on_past_it()
    {
        var stored = await ThreeEventsWithTheSecondDamaged("id", "'0198c3a1-XXXX-7000-8000-000000000000'");

        var first = _h.Journal.ReadAfter(0, 10)[1];
        _h.Reopen();
        var again = _h.Journal.ReadAfter(1, 1)[0];

        Assert.Equal((2L, EventJournal.UnreadableType), (first.Seq, first.Type));
        Assert.Equal(first.Id, again.Id);
        Assert.NotEqual(stored.Id, first.Id);
        Assert.Matches("^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", first.Id.ToString("D"));
        Assert.Equal(stored.Timestamp.ToUnixTimeMilliseconds(), Convert.ToInt64(first.Id.ToString("N")[..12], 16));
        Assert.Equal("has id '0198c3a1-XXXX-7000-8000-000000000000', not a UUID.", JsonDocument.Parse(first.DataJson).RootElement.GetProperty("problem").GetString());

        _h.Journal.MarkDelivered(2);
        Assert.Equal(2, _h.Journal.DeliveredThrough);
        Assert.Equal([3L], _h.Journal.ReadAfter(_h.Journal.DeliveredThrough, 10).Select(r => r.Seq));
    }

    [Fact]
    public async Task A_row_changed_in_a_way_its_fields_cannot_show_is_caught_by_its_hash()
    {
        var stored = await ThreeEventsWithTheSecondDamaged("data", "'{\"kind\":\"doorContact\",\"active\":false}'");

        var unreadable = _h.Journal.ReadAfter(0, 10)[1];

        Assert.Equal((2L, EventJournal.UnreadableType, stored.Id), (unreadable.Seq, unreadable.Type, unreadable.Id));
        AssertData(unreadable.DataJson, ("problem", "does not match its hash: it was changed after it was written."), ("storedType", "point.activated"));
        Assert.Contains("\"active\":false", _h.Journal.Read(0, 10)[1].DataJson, StringComparison.Ordinal); // the tools show the row as stored
    }

    [Fact]
    public async Task An_id_whose_version_digit_flipped_is_not_sent_on_as_if_it_were_a_UUIDv7()
    {
        await _h.PublishAndFlush(Activated(1), Activated(2), Activated(3));
        var stored = _h.All()[1];
        var flipped = string.Concat(stored.Id.ToString("D").AsSpan(0, 14), "4", stored.Id.ToString("D").AsSpan(15));
        DamageTheSecond("id", $"'{flipped}'");

        var unreadable = _h.Journal.ReadAfter(0, 10)[1];

        Assert.Equal(EventJournal.UnreadableType, unreadable.Type);
        Assert.Equal(7, unreadable.Id.Version);
        Assert.NotEqual(Guid.Parse(flipped), unreadable.Id);
        AssertData(unreadable.DataJson, ("problem", $"has id '{flipped}', a UUID but not a UUIDv7, the only kind the journal writes."), ("storedType", "point.activated"));
    }

    // A row from before the chain (schema 8) has no hash to catch the flip: it was sent on as
    // stored, and the office's schema refused its id (uuidV7).
    [Fact]
    public async Task An_unchained_row_whose_id_is_not_a_UUIDv7_is_not_sent_on()
    {
        await _h.PublishAndFlush(Activated(1), Activated(2), Activated(3));
        var stored = _h.All()[1];
        var flipped = string.Concat(stored.Id.ToString("D").AsSpan(0, 19), "c", stored.Id.ToString("D").AsSpan(20));
        DamageTheSecond("id", $"'{flipped}', prev_hash = NULL, hash = NULL");

        var unreadable = _h.Journal.ReadAfter(0, 10)[1];

        Assert.Equal((2L, EventJournal.UnreadableType), (unreadable.Seq, unreadable.Type));
        Assert.Matches("^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", unreadable.Id.ToString("D"));
        AssertData(unreadable.DataJson, ("problem", $"has id '{flipped}', a UUID but not a UUIDv7, the only kind the journal writes."), ("storedType", "point.activated"));
    }

    // A damaged record header can make a NOT NULL column read NULL; the schema is loosened here
    // so that SQL can store one.
    [Fact]
    public async Task A_drill_flag_that_reads_NULL_is_unreadable_not_a_stop()
    {
        await _h.PublishAndFlush(Activated(1), Activated(2), Activated(3));
        _h.Database.InTransaction(transaction =>
        {
            using var command = transaction.Connection!.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = """
                PRAGMA writable_schema = ON;
                UPDATE sqlite_master SET sql = replace(sql, 'drill    INTEGER NOT NULL CHECK (drill IN (0, 1))', 'drill    INTEGER NULL') WHERE name = 'events';
                PRAGMA writable_schema = OFF;
                """;
            return command.ExecuteNonQuery();
        });
        _h.Reopen();
        DamageTheSecond("drill", "NULL");

        var records = _h.Journal.ReadAfter(0, 10);

        Assert.Equal(["point.activated", EventJournal.UnreadableType, "point.activated"], records.Select(r => r.Type));
        Assert.StartsWith("has monotonic time '", JsonDocument.Parse(records[1].DataJson).RootElement.GetProperty("problem").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_office_can_acknowledge_a_journal_unreadable_by_the_id_it_was_sent_with()
    {
        var stored = await ThreeEventsWithTheSecondDamaged("severity", "'Panic'");

        var found = _h.Journal.FindById(stored.Id);

        Assert.Equal(_h.Journal.ReadAfter(0, 10)[1], found);
    }

    // Damage to the file's structure, not to a row's fields: SQLite refuses the page (SQLITE_CORRUPT).
    [Fact]
    public async Task Rows_on_a_page_SQLite_reports_corrupt_are_delivered_as_journal_unreadable_and_the_rest_as_stored()
    {
        await _h.PublishAndFlush([.. Enumerable.Range(1, 300).Select(i => (DomainEvent)Activated(i))]);
        var stored = _h.All();
        _h.Journal.Dispose();
        _h.Database.Dispose();
        CorruptPageHolding(_h.Path, stored[149]);
        _h.Reopen();
        _h.Errors.Clear();

        var records = _h.Journal.ReadAfter(0, 1000);

        Assert.Equal(Enumerable.Range(1, 300).Select(i => (long)i), records.Select(r => r.Seq));
        var unreadable = records.Where(r => r.Type == EventJournal.UnreadableType).ToList();
        Assert.Contains(unreadable, r => r.Seq == 150);
        Assert.InRange(unreadable.Count, 1, 100);
        Assert.All(unreadable, r => Assert.StartsWith("cannot be read: ", JsonDocument.Parse(r.DataJson).RootElement.GetProperty("problem").GetString(), StringComparison.Ordinal));
        Assert.All(records.Where(r => r.Type != EventJournal.UnreadableType), r => Assert.Equal(stored[(int)r.Seq - 1], r));
        Assert.Equal(unreadable.Select(r => r.Id), _h.Journal.ReadAfter(0, 1000).Where(r => r.Type == EventJournal.UnreadableType).Select(r => r.Id));
        Assert.Contains(_h.Errors, e => e.Message.Contains("reading them one by one", StringComparison.Ordinal));
    }

    // Sets the b-tree page type byte of the table page holding the record to 0, which no page has.
    internal static void CorruptPageHolding(string path, Core.Ports.JournalRecord record) =>
        CorruptPage(path, record, inIdIndex: false);

    // The same for the page of the events.id index that holds the record's entry; inIdIndex false:
    // the table page.
    internal static void CorruptPage(string path, Core.Ports.JournalRecord record, bool inIdIndex)
    {
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var checkpoint = connection.CreateCommand();
            checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE);";
            checkpoint.ExecuteNonQuery();
        }

        var bytes = File.ReadAllBytes(path);
        var pageSize = (bytes[16] << 8) | bytes[17];
        // The table row holds the id text right before the timestamp text; the index entry does not.
        var id = System.Text.Encoding.UTF8.GetBytes(record.Id.ToString("D"));
        var timestamp = System.Text.Encoding.UTF8.GetBytes(EventDataWriter.Iso(record.Timestamp));
        var at = -1;
        for (var from = 0; ; from = at + 1)
        {
            var found = bytes.AsSpan(from).IndexOf(id);
            Assert.True(found >= 0, $"the row's {(inIdIndex ? "index entry" : "id and timestamp")} were not found in the file");
            at = from + found;
            if (bytes.AsSpan(at + id.Length).StartsWith(timestamp) != inIdIndex)
            {
                break;
            }
        }

        var page = at / pageSize;
        Assert.True(page > 0, "the row is on the first page");
        bytes[page * pageSize] = 0;
        File.WriteAllBytes(path, bytes);
    }

    // Three door events; the second's column is then overwritten with a raw SQL value, and the
    // journal reopened so that delivery reads the rows from SQLite, not from its in-memory tail.
    // Returns the second event as it was stored before the damage.
    private async Task<Core.Ports.JournalRecord> ThreeEventsWithTheSecondDamaged(string column, string value)
    {
        await _h.PublishAndFlush(Activated(1), Activated(2), Activated(3));
        var stored = _h.All()[1];
        DamageTheSecond(column, value);
        return stored;
    }

    private void DamageTheSecond(string column, string value)
    {
        _h.Database.InTransaction(transaction =>
        {
            using var command = transaction.Connection!.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = $"UPDATE events SET {column} = {value} WHERE seq = 2;";
            return command.ExecuteNonQuery();
        });

        _h.Reopen();
        _h.Errors.Clear();
    }
}
