using MQTTnet;

namespace EdgeGuard.Mqtt.Publishing;

/// <summary>
/// One <c>fault.session-taken-over</c> per episode of one connection, not one per takeover: two
/// processes fighting over the gateway's client ids (a cloned gateway, a second instance) take
/// each other's connection every few seconds, and an alarm each time would bury the office in
/// thousands a day while saying nothing the first did not. The episode ends once a connection
/// outlives <see cref="QuietTime"/>, learnt when that connection ends (the loop does not watch
/// the clock meanwhile); the next takeover opens a new one. Thread-safe: the publisher calls it
/// from MQTTnet's disconnect handler.
/// </summary>
internal sealed class TakeoverEpisode(TimeSpan quietTime)
{
    private readonly Lock _gate = new();

    // Takeovers in the open episode; 0 when none is open.
    private long _takeovers;

    /// <summary>
    /// How long a connection must last to end an episode: three keep-alives, and at least twice
    /// the longest reconnect delay, since in a fight our connection lasts as long as the other
    /// process waits before it takes the id back, and its backoff grows to that delay.
    /// </summary>
    public static TimeSpan QuietTime(MqttPublisherOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var keepAlives = options.KeepAlive * 3;
        var backoff = options.ReconnectDelayMax * 2;
        return keepAlives > backoff ? keepAlives : backoff;
    }

    /// <summary>
    /// A connection ended, for any reason, after <paramref name="lasted"/>. Returns the open
    /// episode's takeovers when this connection outlived the quiet time and so ended it, else 0.
    /// </summary>
    public long Ended(TimeSpan lasted)
    {
        lock (_gate)
        {
            if (_takeovers == 0 || lasted < quietTime)
            {
                return 0;
            }

            var takeovers = _takeovers;
            _takeovers = 0;
            return takeovers;
        }
    }

    /// <summary>
    /// A connection that lasted <paramref name="lasted"/> was taken over. Returns true when this
    /// opens an episode (journal the alarm), false while one is open. <paramref name="ended"/> is
    /// as from <see cref="Ended"/>: the takeovers of an episode this connection's length ended.
    /// </summary>
    public bool TakenOver(TimeSpan lasted, out long ended)
    {
        lock (_gate)
        {
            ended = Ended(lasted);
            return ++_takeovers == 1;
        }
    }

    /// <summary>
    /// A connection that lasted <paramref name="lasted"/> ended with <paramref name="reason"/>:
    /// <see cref="TakenOver"/> for reason 142 (SessionTakenOver), else <see cref="Ended"/>. The one
    /// place both connections (publisher, commands) judge a loss by.
    /// </summary>
    /// <returns>Whether it was a takeover, whether it opened an episode, and the takeovers of an episode it ended.</returns>
    public (bool TakenOver, bool Opened, long Ended) Observe(MqttClientDisconnectReason reason, TimeSpan lasted)
    {
        if (reason != MqttClientDisconnectReason.SessionTakenOver)
        {
            return (false, false, Ended(lasted));
        }

        var opened = TakenOver(lasted, out var ended);
        return (true, opened, ended);
    }
}
