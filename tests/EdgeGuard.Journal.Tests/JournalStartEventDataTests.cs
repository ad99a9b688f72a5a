using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Journal.Tests;

/// <summary>
/// The wire data of what a start on another journal says (fields fixed by
/// docs/schemas/event-data.schema.json): the faults and the journal.gap causes.
/// </summary>
public sealed class JournalStartEventDataTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 4, 16, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_replaced_journal_names_the_journal_where_the_old_file_is_kept_and_why()
    {
        var fields = EventDataWriter.Describe(new JournalReplaced(At, "/var/lib/edgeguard/edgeguard.db",
            "/var/lib/edgeguard/edgeguard.db.damaged-20261204T160000000Z", "is not a SQLite database"));

        Assert.Equal((null, null), (fields.Point, fields.Zone));
        EventDataWriterTests.AssertData(fields.DataJson,
            ("path", "/var/lib/edgeguard/edgeguard.db"),
            ("keptAt", "/var/lib/edgeguard/edgeguard.db.damaged-20261204T160000000Z"),
            ("reason", "is not a SQLite database"));
    }

    [Fact]
    public void An_unavailable_journal_names_both_paths_and_cuts_a_long_reason_to_the_contracts_limit()
    {
        var fields = EventDataWriter.Describe(new JournalUnavailable(At, "/var/lib/edgeguard/edgeguard.db",
            "/run/edgeguard/edgeguard.db", new string('x', 5000)));

        EventDataWriterTests.AssertData(fields.DataJson,
            ("path", "/var/lib/edgeguard/edgeguard.db"),
            ("fallbackPath", "/run/edgeguard/edgeguard.db"),
            ("reason", new string('x', 1024)));
    }

    [Theory]
    [InlineData(JournalGapCause.UncleanShutdown, "unclean-shutdown")]
    [InlineData(JournalGapCause.WriteFailed, "write-failed")]
    [InlineData(JournalGapCause.NewJournal, "new-journal")]
    [InlineData(JournalGapCause.FallbackJournal, "fallback-journal")]
    public void Each_gap_cause_has_its_wire_name(JournalGapCause cause, string wire)
    {
        var fields = EventDataWriter.Describe(new JournalGap(At, 1, 1_796_000_000_000_000, cause));

        EventDataWriterTests.AssertData(fields.DataJson, ("fromSeq", 1L), ("throughSeq", 1_796_000_000_000_000L), ("cause", wire));
    }
}
