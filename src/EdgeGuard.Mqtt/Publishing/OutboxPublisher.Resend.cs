using System.Globalization;
using Microsoft.Extensions.Logging;

namespace EdgeGuard.Mqtt.Publishing;

// The office's resend command, on the publisher's side: checks the range against the journal and
// hands it to the session that streams (DeliverySession.Resend.cs). One at a time: a resend is
// bounded (MaxResend) and below the live stream, so a second one waits for the office to send it
// again rather than queueing behind the first unseen.
public sealed partial class OutboxPublisher
{
    /// <summary>Most seqs one resend may ask for (10,000: at the bench's rates a few seconds of link).</summary>
    public const int MaxResend = 10_000;

    private readonly ResendSlot _resends = new();

    // The in-flight window of the current connection (0 before the first): a resend needs 2.
    private int _sessionWindow;

    /// <summary>Tests only: runs in StartResend right after it took the slot, to lose the link there.</summary>
    internal Action? ResendSlotTaken { get; set; }

    /// <summary>Resends carried out to their last seq, since start.</summary>
    public long ResendsDone => _stats.ResendsDone;

    /// <summary>Resends ended before their last seq (refused, journal failed, connection ended), since start.</summary>
    public long ResendsCut => _stats.ResendsCut;

    /// <summary>Whether a resend was asked for and has not ended.</summary>
    public bool IsResending => _resends.Current is not null;

    /// <summary>
    /// Starts sending the journaled events <paramref name="from"/> through <paramref name="to"/>
    /// again, in seq order, each <c>replayed: true</c> with <c>resend</c> = <paramref name="commandId"/>,
    /// below the live stream. Returns null when it was started, else why not, for the command's
    /// <c>rejected</c> answer: the range backwards, over <see cref="MaxResend"/>, beyond the last
    /// journaled seq, not yet delivered (those come in the stream), aged out of the journal (naming
    /// the oldest seq kept), the journal unreadable, no link to the broker, or another resend running.
    /// </summary>
    /// <remarks>
    /// It starts within one <see cref="MqttPublisherOptions.StateCheckInterval"/> (an idle publisher
    /// picks it up at its next check). A connection that ends before it is finished, or before it
    /// was picked up, ends it; it is not resumed (<c>resend.ended</c> says how far it got).
    /// </remarks>
    public string? StartResend(string commandId, long from, long to)
    {
        ArgumentException.ThrowIfNullOrEmpty(commandId);
        if (from > to)
        {
            return Text($"range backwards: from {from} is after to {to}");
        }

        if (to - from >= MaxResend)
        {
            return Text($"range too long: {to - from + 1} seqs asked for, at most {MaxResend} per resend; split it");
        }

        var last = _outbox.LastSeq;
        if (to > last)
        {
            return Text($"beyond the last seq: to {to} is after {last}, the last seq journaled");
        }

        var delivered = Math.Max(_outbox.DeliveredThrough, _stats.AcknowledgedThrough);
        if (to > delivered)
        {
            return Text($"not delivered yet: to {to} is after {delivered}, the last seq the broker acknowledged; the rest come in the stream");
        }

        long oldest;
        try
        {
            oldest = _outbox.ReadAfter(0, 1) is [var first, ..] ? first.Seq : last + 1;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return "unavailable: the journal could not be read: " + ex.Message;
        }

        if (from < oldest)
        {
            return oldest > to
                ? Text($"aged out of the journal: none of seqs {from} to {to} is kept; the oldest seq kept is {oldest}")
                : Text($"aged out of the journal: seq {from} is no longer kept; the oldest seq kept is {oldest}");
        }

        if (!IsConnected)
        {
            return "unavailable: the gateway has no link to the broker now; send it again once it is online";
        }

        if (WindowTooSmall(Volatile.Read(ref _sessionWindow)) is { } small)
        {
            return small;
        }

        var request = new ResendRequest(commandId, from, to);
        if (!_resends.TryStart(request))
        {
            return $"busy: {_resends.Current?.ToString() ?? "another resend"} is still running; send it again once that ends";
        }

        ResendSlotTaken?.Invoke();
        // The session ended between the check above and the slot: if it has not ended this one,
        // it never will, so it is refused here. If it has (resend.ended is journaled, saying the
        // connection ended before it started), that is its one outcome: answered as started.
        if (!IsConnected && _resends.End(request))
        {
            return "unavailable: the gateway has no link to the broker now; send it again once it is online";
        }

        LogResendStarted(request.ToString());
        return null;
    }

    /// <summary>
    /// QoS 1 publishes that go out beside the session's window: a stale point's delete
    /// (OutboxPublisher.StalePoints.cs, one at a time) and a birth (its retries, a rebirth, the
    /// answer to a late will: OutboxPublisher.Availability.cs, BirthAgain).
    /// </summary>
    internal const int BesideWindow = 2;

    /// <summary>
    /// The events, state and resends a connection may have awaiting PUBACK: <paramref name="maxInFlight"/>,
    /// within the broker's Receive Maximum less <see cref="BesideWindow"/>. The Receive Maximum counts
    /// every QoS 1 PUBLISH unacknowledged on the connection [MQTT-3.3.4-7], the deletes and births
    /// too; a broker that enforces it (EMQX, HiveMQ) disconnects with 147 when a window it filled
    /// met one of them. At least 1: a Receive Maximum of 2 or less leaves nothing beside it.
    /// </summary>
    internal static int SessionWindow(int maxInFlight, ushort? receiveMaximum) =>
        Math.Max(1, Math.Min(maxInFlight, receiveMaximum is > 0 and var max ? max - BesideWindow : ushort.MaxValue));

    /// <summary>
    /// Why a resend cannot run over a window of <paramref name="window"/> publishes; null when it
    /// can. It fills at most half the window, at least one: with a window of 1 every live event
    /// would wait a round trip behind a resent one, so below 2 there is no resend at all.
    /// </summary>
    internal static string? WindowTooSmall(int window) => window >= 2
        ? null
        : Text($"unavailable: the link to the broker carries {window} message in flight at a time (MaxInFlight, or the broker's Receive Maximum less the 2 kept for a birth and a delete); a resend needs 2, so that live events never wait behind it");

    private static string Text(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    [LoggerMessage(EventId = 352, Level = LogLevel.Information, Message = "{Resend} started, below the live stream")]
    private partial void LogResendStarted(string resend);
}
