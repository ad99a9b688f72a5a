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

    // Three door events; the second's column is then overwritten with a raw SQL value, and the
    // journal reopened so that delivery reads the rows from SQLite, not from its in-memory tail.
    // Returns the second event as it was stored before the damage.
    private async Task<Core.Ports.JournalRecord> ThreeEventsWithTheSecondDamaged(string column, string value)
    {
        await _h.PublishAndFlush(Activated(1), Activated(2), Activated(3));
        var stored = _h.All()[1];
        _h.Database.InTransaction(transaction =>
        {
            using var command = transaction.Connection!.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = $"UPDATE events SET {column} = {value} WHERE seq = 2;";
            return command.ExecuteNonQuery();
        });

        _h.Reopen();
        _h.Errors.Clear();
        return stored;
    }
}
