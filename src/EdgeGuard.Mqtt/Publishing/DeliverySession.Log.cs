using Microsoft.Extensions.Logging;

namespace EdgeGuard.Mqtt.Publishing;

// Source-generated log messages of a delivery session (event ids 310-313, 316-317, 340, 344-345,
// 349, 362; 363 is retired).
internal sealed partial class DeliverySession
{
    [LoggerMessage(EventId = 310, Level = LogLevel.Error, Message = "Event seq {Seq} ({Type}) not delivered, {Reason}. It stays in the outbox and is retried with backoff; nothing after it is delivered meanwhile")]
    private partial void LogRefused(long seq, string type, string reason);

    [LoggerMessage(EventId = 311, Level = LogLevel.Warning, Message = "The broker refused retained state {What}: {Reason}")]
    private partial void LogStateRefused(string what, string reason);

    [LoggerMessage(EventId = 345, Level = LogLevel.Error, Message = "Event seq {Seq} ({Type}) withheld, {Reason} again when sent alone: it can never be delivered as it is, so a stub that says so goes in its place and delivery moves on (the journal keeps the full record)")]
    private partial void LogWithheld(long seq, string type, string reason);


    [LoggerMessage(EventId = 312, Level = LogLevel.Error, Message = "Event seq {Seq} ({Type}) has data that is not a JSON object; published with data {{}} (the journal keeps the original)")]
    private partial void LogDataNotAnObject(long seq, string type);

    [LoggerMessage(EventId = 313, Level = LogLevel.Error, Message = "The delivery cursor could not be written at seq {Seq}; delivery continues, a restart may resend events")]
    private partial void LogCursorNotWritten(Exception ex, long seq);

    [LoggerMessage(EventId = 362, Level = LogLevel.Warning, Message = "Orderly stop: the journal did not make the delivery cursor durable at seq {Seq} within {WaitMs:0} ms (a slow or hung disk); it is durable at seq {Durable}. Publishing 'offline' anyway; the next start resends the events after it (replayed)")]
    private partial void LogCursorNotDurableAtStop(long seq, long durable, double waitMs);

    [LoggerMessage(EventId = 316, Level = LogLevel.Information, Message = "Retained {Topic} republished: the site's mode changed without an event that refreshes it (the journal is not taking events)")]
    private partial void LogLockdownResynced(string topic);

    [LoggerMessage(EventId = 340, Level = LogLevel.Information, Message = "Retained {Topic} sent ahead of waiting events: the site's lockdown state changed while {Why}")]
    private partial void LogLockdownSentAhead(string topic, string why);

    [LoggerMessage(EventId = 344, Level = LogLevel.Error, Message = "The journal could not be read at seq {Seq}; the connection is kept and the read is retried in {DelayMs:0} ms (and with backoff after that)")]
    private partial void LogJournalUnreadable(Exception ex, long seq, double delayMs);

    [LoggerMessage(EventId = 349, Level = LogLevel.Information, Message = "The journal can be read again after {Failures} failed reads; delivery goes on")]
    private partial void LogJournalReadable(int failures);

    // Debug: with a full journal every point change comes this way, and the journal reports that.
    [LoggerMessage(EventId = 317, Level = LogLevel.Debug, Message = "Retained {Topic} republished: the point changed without an event that refreshes it")]
    private partial void LogPointResynced(string topic);
}
