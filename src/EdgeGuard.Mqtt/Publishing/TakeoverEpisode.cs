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

    // Connections in a row the broker closed without a word before the quiet time, each reached
    // by a connect that succeeded (SuspectedTakeovers).
    private int _silentCloses;

    /// <summary>
    /// How many connections in a row the broker must close without a reason, before the quiet
    /// time and with every reconnect in between succeeding, for that to count as a takeover.
    /// Mosquitto 2.0 closes a taken-over connection without DISCONNECT 142 (MQTTnet reports a
    /// normal disconnection), so a clone fighting over the ids shows only so. A broker that
    /// crashes or restarts makes the next connect fail, which resets the count, and our own
    /// keep-alive running out is not silent (it has an exception): one or two such closes are a
    /// broker's business, three in a row with the broker answering each reconnect at once are
    /// another client taking the id.
    /// </summary>
    public const int SuspectAfter = 3;

    /// <summary>Whether a takeover episode is open: the reconnect loop backs off fully meanwhile.</summary>
    public bool InEpisode
    {
        get
        {
            lock (_gate)
            {
                return _takeovers > 0;
            }
        }
    }

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
            if (lasted >= quietTime)
            {
                _silentCloses = 0;
            }

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
    /// <param name="reason">The DISCONNECT reason MQTTnet reports.</param>
    /// <param name="lasted">How long the connection lasted.</param>
    /// <param name="silent">
    /// Whether the broker closed the connection without a DISCONNECT and without an error on our
    /// side (no exception, not closed by us): how Mosquitto 2.0 ends a taken-over connection.
    /// <see cref="SuspectAfter"/> of them in a row count as a takeover.
    /// </param>
    public (bool TakenOver, bool Opened, long Ended) Observe(MqttClientDisconnectReason reason, TimeSpan lasted, bool silent = false)
    {
        if (reason != MqttClientDisconnectReason.SessionTakenOver && !SuspectedTakeover(reason, lasted, silent))
        {
            return (false, false, Ended(lasted));
        }

        var opened = TakenOver(lasted, out var ended);
        return (true, opened, ended);
    }

    /// <summary>
    /// A connect attempt failed: the broker is down or refusing, so the silent closes before it
    /// were the broker's, not a takeover's.
    /// </summary>
    public void ConnectFailed()
    {
        lock (_gate)
        {
            _silentCloses = 0;
        }
    }

    // Counts a silent close; true from the SuspectAfter-th in a row. Any other loss ends the row.
    private bool SuspectedTakeover(MqttClientDisconnectReason reason, TimeSpan lasted, bool silent)
    {
        lock (_gate)
        {
            if (!silent || reason != MqttClientDisconnectReason.NormalDisconnection || lasted >= quietTime)
            {
                _silentCloses = 0;
                return false;
            }

            return ++_silentCloses >= SuspectAfter;
        }
    }
}
