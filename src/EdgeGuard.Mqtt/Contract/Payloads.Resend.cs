using System.Text;
using EdgeGuard.Core.Ports;

namespace EdgeGuard.Mqtt.Contract;

// The payload of an event the office asked for again (the resend command): the event as the
// stream carries it, replayed, with the resend command's id before data. Rare (an office's
// request), so it splices the id into the event's own bytes rather than adding a field to the
// byte-by-byte writer every live event takes.
public static partial class Payloads
{
    private static readonly byte[] ReplayedThenData = Encoding.ASCII.GetBytes(",\"replayed\":true,\"data\":");
    private static readonly byte[] ReplayedThenWithheld = Encoding.ASCII.GetBytes(",\"replayed\":true,\"withheld\":");

    /// <summary>
    /// The payload of <c>{root}/events</c> for an event resent at the office's request: the event
    /// as <see cref="Event"/> writes it with <c>replayed</c> <c>true</c>, and <c>resend</c>, the id
    /// of the resend command, before <c>data</c>.
    /// </summary>
    /// <param name="record">The journaled event.</param>
    /// <param name="topics">Site and gateway of the publishing gateway.</param>
    /// <param name="commandId">The resend command's id: a lowercase UUID (the verifier checked it).</param>
    /// <param name="dataEmbedded">As for <see cref="Event"/>: false when the stored data was not one JSON object.</param>
    public static byte[] ResentEvent(JournalRecord record, Topics topics, string commandId, out bool dataEmbedded)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(topics);
        CheckResendId(commandId);
        return SpliceResend(Event(record, topics, replayed: true, out dataEmbedded), ReplayedThenData, commandId);
    }

    /// <summary>
    /// The payload of <c>{root}/events</c> for an event resent at the office's request that the
    /// broker refuses for what it is (too large): its withheld stub, as <see cref="WithheldEvent"/>
    /// writes it with <c>replayed</c> <c>true</c>, and <c>resend</c> before <c>withheld</c>.
    /// </summary>
    /// <param name="record">The journaled event.</param>
    /// <param name="topics">Site and gateway of the publishing gateway.</param>
    /// <param name="commandId">The resend command's id: a lowercase UUID.</param>
    /// <param name="reason">Why it is withheld, e.g. <c>PacketTooLarge (149)</c>.</param>
    public static byte[] ResentWithheldEvent(JournalRecord record, Topics topics, string commandId, string reason)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(topics);
        CheckResendId(commandId);
        return SpliceResend(WithheldEvent(record, topics, replayed: true, reason), ReplayedThenWithheld, commandId);
    }

    private static void CheckResendId(string commandId)
    {
        ArgumentException.ThrowIfNullOrEmpty(commandId);
        if (!Guid.TryParseExact(commandId, "D", out var id) || !string.Equals(id.ToString("D"), commandId, StringComparison.Ordinal))
        {
            throw new ArgumentException("a resend's id is a lowercase UUID", nameof(commandId));
        }
    }

    // Puts "resend":"{id}" right after "replayed":true, found by the field that follows it.
    private static byte[] SpliceResend(byte[] payload, byte[] replayedThenNext, string commandId)
    {
        // The envelope's ids and type cannot hold quotes, so the first match is the envelope's own.
        var at = payload.AsSpan().IndexOf(replayedThenNext);
        if (at < 0)
        {
            throw new InvalidOperationException("the event payload does not carry replayed before its next field");
        }

        var field = Encoding.ASCII.GetBytes($"\"resend\":\"{commandId}\",");
        var split = at + ",\"replayed\":true,"u8.Length;
        var resent = new byte[payload.Length + field.Length];
        payload.AsSpan(0, split).CopyTo(resent);
        field.CopyTo(resent.AsSpan(split));
        payload.AsSpan(split).CopyTo(resent.AsSpan(split + field.Length));
        return resent;
    }
}
