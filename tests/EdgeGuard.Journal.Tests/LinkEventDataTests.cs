using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Journal.Tests;

/// <summary>The wire data of the broker link's events (fields fixed by docs/schemas/event-data.schema.json).</summary>
public sealed class LinkEventDataTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 5, 16, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_duplicate_gateway_names_both_instances_and_sessions_and_what_the_other_published()
    {
        var will = new DuplicateGateway(At, "aaaaaaaaaaaaaaaa", 7, Online: false, "bbbbbbbbbbbbbbbb", 6);
        var birth = will with { Online = true };

        var fields = EventDataWriter.Describe(will);

        Assert.Equal(("fault.duplicate-gateway", Severity.Critical), (will.Type, will.Severity));
        Assert.Equal(((string?)null, (string?)null), (fields.Point, fields.Zone));
        EventDataWriterTests.AssertData(fields.DataJson,
            ("instance", "aaaaaaaaaaaaaaaa"), ("session", 7L), ("availability", "offline"), ("ownInstance", "bbbbbbbbbbbbbbbb"), ("ownSession", 6L));
        Assert.Contains("\"availability\":\"online\"", EventDataWriter.Describe(birth).DataJson, StringComparison.Ordinal);
    }

    // The switch moved to EventDataWriter.Link.cs: the other link events keep their data.
    [Fact]
    public void The_other_link_events_keep_their_data()
    {
        EventDataWriterTests.AssertData(EventDataWriter.Describe(new SessionTakenOver(At, BrokerConnection.Commands)).DataJson, ("connection", "commands"));
        EventDataWriterTests.AssertData(EventDataWriter.Describe(new CommandSessionLost(At, At)).DataJson, ("since", "2026-12-05T16:00:00.000Z"));
        EventDataWriterTests.AssertData(EventDataWriter.Describe(new JournalWentBack(At, 50, 100, 101, 4000, null)).DataJson,
            ("session", 50L), ("brokerSession", 100L), ("raisedSession", 101L), ("lastSeq", 4000L));
    }
}
