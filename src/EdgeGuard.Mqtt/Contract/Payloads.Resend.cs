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
        ArgumentException.ThrowIfNullOrEmpty(commandId);
        if (!Guid.TryParseExact(commandId, "D", out var id) || !string.Equals(id.ToString("D"), commandId, StringComparison.Ordinal))
        {
            throw new ArgumentException("a resend's id is a lowercase UUID", nameof(commandId));
        }

        var payload = Event(record, topics, replayed: true, out dataEmbedded);
        // The envelope's ids and type cannot hold quotes, so the first match is the envelope's own.
        var at = payload.AsSpan().IndexOf(ReplayedThenData);
        if (at < 0)
        {
            throw new InvalidOperationException("the event payload does not end its envelope with replayed and data");
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
