using EdgeGuard.Core.Lockdown;
using EdgeGuard.Mqtt.Publishing;
using Microsoft.Extensions.Logging;
using MQTTnet;

namespace EdgeGuard.Mqtt.Commands;

/// <summary>
/// What the command connection's broker session tells the office: a takeover of the connection
/// (<c>fault.session-taken-over</c>) and a reconnect that finds the session gone
/// (<c>command.session-lost</c>). Both are journaled, the connection carries on either way.
/// </summary>
public sealed partial class CommandSubscriber
{
    // When the last subscribed connection ended; null until one has, and again once a connection
    // found the session (or reported its loss) and subscribed. Touched by the connect loop only.
    private DateTimeOffset? _lostAt;

    // Whether a CONNACK since _lostAt said the session was gone. Latched until a SUBACK: a connect
    // that finds no session and dies before its SUBACK leaves the broker a new, empty session,
    // which the next CONNACK reports as present, though the commands of the loss are gone.
    private bool _sessionGone;

    // The takeovers of each connection, one alarm per episode (TakeoverEpisode).
    private TakeoverEpisode? _takeovers;

    private TakeoverEpisode Takeovers => _takeovers ??= new TakeoverEpisode(TakeoverEpisode.QuietTime(_options.Broker));

    // At every accepted CONNACK.
    private void SessionAnswered(bool sessionPresent)
    {
        if (_lostAt is not null && !sessionPresent)
        {
            _sessionGone = true;
        }
    }

    // After a SUBACK. A session the broker kept holds what was queued meanwhile, and the broker
    // sends it now. One it did not keep (expired, a broker restarted without persistence, taken
    // over with a clean start) lost any command sent since the connection went: the office must
    // re-send those without an answer. Any CONNACK since the loss that found no session counts
    // (SessionAnswered), and `since` is the first loss. At the first connect after a start nothing
    // is reported: the gateway keeps no record of its last connection, so it cannot tell a session
    // it should have found (a restart within the session expiry) from one that expired while it
    // was off or that was never made (a new key, a first start), and the office saw it go offline
    // meanwhile.
    private async Task ReportSessionAsync(CancellationToken stoppingToken)
    {
        if (_lostAt is not { } since)
        {
            return;
        }

        var gone = _sessionGone;
        _lostAt = null;
        _sessionGone = false;
        if (gone)
        {
            LogSessionLost(since);
            await JournalAsync(new CommandSessionLost(_time.GetUtcNow(), since), stoppingToken).ConfigureAwait(false);
        }
    }

    // Reason 142: another client connected with this connection's client id. The ids come from the
    // gateway's secret, so that client has it (a cloned gateway, a second process) or is the broker's
    // administrator; with the session it may have been handed commands and acknowledged them unseen.
    // Journaled once per episode (TakeoverEpisode): two processes fighting over the id would
    // otherwise raise an alarm every few seconds. Every loss's length is counted, since a long
    // connection ends an episode however it ends.
    private async Task ConnectionLostAsync(MqttClientDisconnectReason reason, TimeSpan lasted, CancellationToken stoppingToken)
    {
        var (takenOver, opened, ended) = Takeovers.Observe(reason, lasted);
        if (ended > 0)
        {
            LogTakeoversEnded(_options.ClientId, ended);
        }

        if (!takenOver)
        {
            return;
        }

        LogTakenOver(_options.ClientId);
        if (opened)
        {
            await JournalAsync(new SessionTakenOver(_time.GetUtcNow(), BrokerConnection.Commands), stoppingToken).ConfigureAwait(false);
        }
    }

    // A journal that fails is logged, never passed on: the connection must come back regardless.
    private async Task JournalAsync(DomainEvent news, CancellationToken stoppingToken)
    {
        try
        {
            await _handler.Journal.RecordAsync(news, stoppingToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogNewsNotJournaled(ex, news.Type);
        }
    }

    [LoggerMessage(EventId = 354, Level = LogLevel.Error, Message = "Another client connected as the command connection's client id {ClientId} and the broker closed ours (session taken over): it holds the gateway's TLS key or broker password, or is the broker's administrator; reconnecting")]
    private partial void LogTakenOver(string clientId);

    [LoggerMessage(EventId = 355, Level = LogLevel.Warning, Message = "The broker kept no session for the command connection: commands sent since {Since:O} may be lost")]
    private partial void LogSessionLost(DateTimeOffset since);

    [LoggerMessage(EventId = 358, Level = LogLevel.Warning, Message = "The command connection's client id {ClientId} was taken over {Takeovers} times before a connection lasted: that takeover episode is over")]
    private partial void LogTakeoversEnded(string clientId, long takeovers);

    [LoggerMessage(EventId = 356, Level = LogLevel.Error, Message = "The command connection's {EventType} could not be journaled")]
    private partial void LogNewsNotJournaled(Exception exception, string eventType);
}
