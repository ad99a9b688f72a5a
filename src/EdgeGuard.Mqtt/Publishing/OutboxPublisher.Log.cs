using Microsoft.Extensions.Logging;

namespace EdgeGuard.Mqtt.Publishing;

// Source-generated log messages of the publisher (event ids 300-309, 314-315, 318-319, 346-347).
public sealed partial class OutboxPublisher
{
    [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "MQTT publisher starting: broker {Host}:{Port} (TLS {Tls}), topics {Root}/..., session {Session}")]
    private partial void LogStarting(string host, int port, bool tls, string root, long session);

    [LoggerMessage(EventId = 301, Level = LogLevel.Information, Message = "Connected to {Host}:{Port} (session {Session}); delivered through seq {Delivered}, replaying through seq {ReplayThrough}, window {Window}")]
    private partial void LogConnected(string host, int port, long session, long delivered, long replayThrough, int window);

    [LoggerMessage(EventId = 302, Level = LogLevel.Information, Message = "Caught up: backlog replayed and retained state republished (delivered through seq {Delivered})")]
    private partial void LogCaughtUp(long delivered);

    [LoggerMessage(EventId = 303, Level = LogLevel.Warning, Message = "MQTT connection lost ({Reason}); delivered through seq {Delivered}")]
    private partial void LogConnectionLost(string reason, long delivered);

    [LoggerMessage(EventId = 304, Level = LogLevel.Warning, Message = "Cannot connect to {Host}:{Port}: {Reason}")]
    private partial void LogConnectFailed(string host, int port, string reason);

    [LoggerMessage(EventId = 305, Level = LogLevel.Error, Message = "The broker {Host}:{Port} refused the connection: {Reason}")]
    private partial void LogConnectRefused(string host, int port, string reason);

    [LoggerMessage(EventId = 306, Level = LogLevel.Information, Message = "Reconnecting in {DelayMs:0} ms (consecutive failures: {Failures})")]
    private partial void LogReconnecting(double delayMs, int failures);

    [LoggerMessage(EventId = 307, Level = LogLevel.Error, Message = "The broker refused availability '{Payload}': {Reason}")]
    private partial void LogAvailabilityRefused(string payload, string reason);

    [LoggerMessage(EventId = 308, Level = LogLevel.Information, Message = "Published 'offline' and disconnected (delivered through seq {Delivered}, last journaled seq {LastSeq})")]
    private partial void LogDisconnected(long delivered, long lastSeq);

    [LoggerMessage(EventId = 309, Level = LogLevel.Warning, Message = "Orderly disconnect failed ({Reason}); the broker publishes the Last Will instead")]
    private partial void LogCloseFailed(string reason);

    [LoggerMessage(EventId = 315, Level = LogLevel.Error, Message = "Cannot take the next MQTT session number ({Reason}); nothing is published until it can be, retrying in {DelayMs:0} ms")]
    private partial void LogSessionFailed(string reason, double delayMs);

    [LoggerMessage(EventId = 318, Level = LogLevel.Critical, Message = "The office link stays down: the gateway's {Problem}. Put the file back (or issue a new pair, see deploy/README.md, certificate rotation): it is read again at every connect attempt, no restart needed. The site is protected locally; events wait in the journal")]
    private partial void LogTlsFilesUnusable(string problem);

    [LoggerMessage(EventId = 319, Level = LogLevel.Information, Message = "The gateway's TLS files load again (before: {Was}); connecting")]
    private partial void LogTlsFilesUsable(string was);

    [LoggerMessage(EventId = 347, Level = LogLevel.Warning, Message = "Orderly stop: the outbox and the retained state after it are not delivered after {Seconds:0.#} s (events through seq {Delivered} of {LastSeq}); publishing 'offline' anyway, the rest goes at the next start")]
    private partial void LogDrainCutShort(double seconds, long delivered, long lastSeq);

    [LoggerMessage(EventId = 346, Level = LogLevel.Information, Message = "The broker accepted the birth 'online' after {Retries} retries")]
    private partial void LogBirthAccepted(int retries);

    [LoggerMessage(EventId = 314, Level = LogLevel.Information, Message = "MQTT publisher stopped: delivered through seq {Delivered} of {Last}")]
    private partial void LogStopped(long delivered, long last);

    [LoggerMessage(EventId = 357, Level = LogLevel.Error, Message = "Another client connected as the publisher's client id {ClientId} and the broker closed ours (session taken over): it holds the gateway's TLS key or broker password, or is the broker's administrator; reconnecting")]
    private partial void LogTakenOver(string clientId);

    [LoggerMessage(EventId = 359, Level = LogLevel.Warning, Message = "The publisher's client id {ClientId} was taken over {Takeovers} times before a connection lasted: that takeover episode is over")]
    private partial void LogTakeoversEnded(string clientId, long takeovers);
}
