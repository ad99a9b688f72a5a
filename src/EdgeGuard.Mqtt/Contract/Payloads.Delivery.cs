using System.Text.Json;
using EdgeGuard.Core.Ports;

namespace EdgeGuard.Mqtt.Contract;

// The payloads about delivery itself: the stub of an event the broker refuses for what it is, and
// the retained state/delivery. Both are rare (a refusal), so Utf8JsonWriter, not the event's
// hand-written byte path.
public static partial class Payloads
{
    /// <summary>Longest reason written (the contract's <c>reason</c>: 1 to 1024 characters).</summary>
    private const int MaxReason = 1024;

    /// <summary>
    /// The payload of <c>{root}/events</c> published in place of an event the broker refuses for
    /// what it is (too large, payload format invalid, topic name invalid): the record's envelope
    /// (id, seq, ts, type, point, zone, severity, drill) with <c>withheld</c> saying why and
    /// <c>data</c> <c>{}</c>. The journal keeps the full record.
    /// </summary>
    /// <param name="record">The journaled event.</param>
    /// <param name="topics">Site and gateway of the publishing gateway.</param>
    /// <param name="replayed">As the full event would have carried it.</param>
    /// <param name="reason">Why it is withheld (shortened to 1024 characters).</param>
    public static byte[] WithheldEvent(JournalRecord record, Topics topics, bool replayed, string reason)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(topics);
        ArgumentException.ThrowIfNullOrEmpty(reason);
        var writer = Rent();
        writer.WriteStartObject();
        writer.WriteNumber("v", Version);
        writer.WriteString("id", record.Id);
        writer.WriteString("site", topics.Site);
        writer.WriteString("gateway", topics.Gateway);
        writer.WriteNumber("seq", record.Seq);
        WriteTimestamp(writer, Names.Ts, record.Timestamp);
        writer.WriteString("type", record.Type);
        if (record.Point is { } point)
        {
            writer.WriteString("point", point);
        }

        if (record.Zone is { } zone)
        {
            writer.WriteString("zone", zone);
        }

        writer.WriteString("severity", SeverityName(record.Severity));
        writer.WriteBoolean("drill", record.Drill);
        writer.WriteBoolean("replayed", replayed);
        writer.WriteString("withheld", Bounded(reason));
        writer.WriteStartObject("data");
        writer.WriteEndObject();
        writer.WriteEndObject();
        return Return(writer);
    }

    /// <summary>
    /// The payload of <c>{root}/state/delivery</c> with no unheard range: <c>status</c> <c>ok</c>
    /// (with <c>seq</c>, <c>reason</c> and <c>since</c> null) or <c>refused</c>.
    /// </summary>
    /// <param name="topics">Site and gateway of the publishing gateway.</param>
    /// <param name="seq">The refused event's seq; null when delivery flows.</param>
    /// <param name="reason">Why the broker refuses it; null when delivery flows.</param>
    /// <param name="since">When the broker first refused it; null when delivery flows.</param>
    /// <param name="now">When this state message is produced (<c>ts</c>).</param>
    public static byte[] DeliveryState(Topics topics, long? seq, string? reason, DateTimeOffset? since, DateTimeOffset now) =>
        DeliveryState(topics, seq, reason, since, null, now);

    /// <summary>
    /// The payload of <c>{root}/state/delivery</c>: <c>status</c> <c>refused</c> (naming the
    /// refused event at the head of the outbox, why, and since when), else <c>unheard</c> when
    /// events were acknowledged with NoMatchingSubscribers that the office has not confirmed having
    /// (its <c>heard</c> command; a resend does not clear them), else <c>ok</c>. <c>unheard</c> is
    /// written whatever the status: a refusal is more urgent, but must not hide the events no one
    /// received.
    /// </summary>
    /// <param name="topics">Site and gateway of the publishing gateway.</param>
    /// <param name="seq">The refused event's seq; null when no event is refused.</param>
    /// <param name="reason">Why the broker refuses it; null when no event is refused.</param>
    /// <param name="since">When the broker first refused it; null when no event is refused.</param>
    /// <param name="unheard">The unheard range; null when there is none.</param>
    /// <param name="now">When this state message is produced (<c>ts</c>).</param>
    public static byte[] DeliveryState(Topics topics, long? seq, string? reason, DateTimeOffset? since, UnheardSeqs? unheard, DateTimeOffset now) =>
        DeliveryState(topics, seq, reason, since, unheard, null, now);

    /// <summary>
    /// The payload of <c>{root}/state/delivery</c>, as above, with <c>journalStalled</c>: while the
    /// journal's writer is stuck, since when, how many events wait in memory (unrecorded, unsent)
    /// and a reason saying both; <c>status</c> is then <c>journal-stalled</c> unless an event is
    /// refused. Written whatever the status, like <c>unheard</c>.
    /// </summary>
    /// <param name="topics">Site and gateway of the publishing gateway.</param>
    /// <param name="seq">The refused event's seq; null when no event is refused.</param>
    /// <param name="reason">Why the broker refuses it; null when no event is refused.</param>
    /// <param name="since">When the broker first refused it; null when no event is refused.</param>
    /// <param name="unheard">The unheard range; null when there is none.</param>
    /// <param name="stall">The journal writer's stall; null while it keeps up.</param>
    /// <param name="now">When this state message is produced (<c>ts</c>; the stall's length is measured to it).</param>
    public static byte[] DeliveryState(
        Topics topics, long? seq, string? reason, DateTimeOffset? since, UnheardSeqs? unheard, JournalStall? stall, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(topics);
        var refused = seq is not null;
        if (refused != reason is not null || refused != since is not null)
        {
            throw new ArgumentException("seq, reason and since are all null (no refusal) or all set (refused)", nameof(seq));
        }

        if (unheard is { } range && (range.FromSeq < 1 || range.ThroughSeq < range.FromSeq))
        {
            throw new ArgumentException("an unheard range runs from a seq of at least 1 through one not below it", nameof(unheard));
        }

        var writer = StartState(topics);
        if (stall is { Waiting: < 1 })
        {
            throw new ArgumentException("a stalled journal has events waiting", nameof(stall));
        }

        writer.WriteString("status", refused ? "refused" : stall is not null ? "journal-stalled" : unheard is null ? "ok" : "unheard");
        if (seq is { } s)
        {
            writer.WriteNumber("seq", s);
            writer.WriteString("reason", Bounded(reason!));
            WriteTimestamp(writer, Names.Since, since!.Value);
        }
        else
        {
            writer.WriteNull("seq");
            writer.WriteNull("reason");
            writer.WriteNull("since");
        }

        if (unheard is { } u)
        {
            writer.WriteStartObject("unheard");
            writer.WriteNumber("fromSeq", u.FromSeq);
            writer.WriteNumber("throughSeq", u.ThroughSeq);
            WriteTimestamp(writer, Names.Since, u.Since);
            writer.WriteEndObject();
        }
        else
        {
            writer.WriteNull("unheard");
        }

        if (stall is { } j)
        {
            writer.WriteStartObject("journalStalled");
            WriteTimestamp(writer, Names.Since, j.Since);
            writer.WriteNumber("waiting", j.Waiting);
            writer.WriteString("reason", Bounded(StallReason(j, now)));
            writer.WriteEndObject();
        }
        else
        {
            writer.WriteNull("journalStalled");
        }

        WriteTimestamp(writer, Names.Ts, now);
        writer.WriteEndObject();
        return Return(writer);
    }

    // How long and how many, for an operator reading the office console.
    private static string StallReason(JournalStall stall, DateTimeOffset now)
    {
        var seconds = Math.Max(0, (long)(now - stall.Since).TotalSeconds);
        var events = stall.Waiting == 1 ? "1 event waits" : $"{stall.Waiting} events wait";
        return $"journal writer has made no progress for {seconds} s (disk hung?); {events} in memory, not recorded and not sent";
    }

    // At most MaxReason characters, the ellipsis included, cut at a whole character.
    private static string Bounded(string text) =>
        text.Length <= MaxReason ? text : Publishing.OutboxPublisher.Shortened(text, MaxReason - 1);
}

/// <summary>
/// Events the broker acknowledged with NoMatchingSubscribers (16): no client subscribed to the
/// events topic, so no one received them. <c>state/delivery</c>'s <c>unheard</c>.
/// </summary>
/// <param name="FromSeq">
/// The first unheard seq the office has not confirmed having (its <c>heard</c> command).
/// </param>
/// <param name="ThroughSeq">The last unheard seq (events between may have been heard).</param>
/// <param name="Since">When the first of them was acknowledged unheard.</param>
public readonly record struct UnheardSeqs(long FromSeq, long ThroughSeq, DateTimeOffset Since);
