namespace EdgeGuard.Mqtt.Commands;

/// <summary>
/// The PINGREQs of one connection of the command subscriber, and whether its reading is held at
/// the flood limit (<c>CommandSubscriber.Flood.cs</c>). While reading is held a PINGRESP cannot be
/// read: it waits in the socket behind the flood. MQTTnet 5.2 pings once nothing was sent for a
/// keep-alive and ends the connection if no answer comes within half a keep-alive
/// (TrySendKeepAliveMessages), so a hold longer than that ended connections whose flood was being
/// worked off. While reading is held, pings written and not yet answered are answered here
/// (<see cref="HeldReadingAdapter"/> hands MQTTnet a PINGRESP), also one written before the hold
/// began: written, the socket took them, which is as much as a held connection can learn. Not
/// while a PINGREQ is being written: MQTTnet completes every ping waiting with one answer, and one
/// stuck behind a write (a link dead half-open) must fail. The broker's own answers to pings
/// answered here are dropped when they are read, so they cannot answer a later ping in its place.
/// </summary>
internal sealed class HeldPings
{
    private readonly Lock _gate = new();
    private bool _held;
    private int _writing;
    // Counts for the connection: PINGREQs handed to the socket (less those that failed), the
    // broker's PINGRESPs read, and how many of the first pings were answered. The broker answers
    // in order, so its n-th PINGRESP answers the n-th PINGREQ.
    private long _sent;
    private long _read;
    private long _answeredThrough;
    private TaskCompletionSource _due = NewDue();

    /// <summary>Completes when pings are to be answered here; renewed once they are.</summary>
    public Task Due
    {
        get
        {
            lock (_gate)
            {
                return _due.Task;
            }
        }
    }

    /// <summary>A PINGREQ is being written.</summary>
    public void Sending()
    {
        lock (_gate)
        {
            _sent++;
            _writing++;
        }
    }

    /// <summary>The PINGREQ's write is over: <paramref name="written"/>, or failed (not sent).</summary>
    public void Written(bool written)
    {
        lock (_gate)
        {
            _writing--;
            if (!written)
            {
                _sent--;
                _answeredThrough = Math.Min(_answeredThrough, _sent);
            }

            AnswerIfDue();
        }
    }

    /// <summary>Reading was held, or resumed.</summary>
    public void Holding(bool held)
    {
        lock (_gate)
        {
            _held = held;
            if (held)
            {
                AnswerIfDue();
            }
            else if (_due.Task.IsCompleted)
            {
                _due = NewDue();
            }
        }
    }

    /// <summary>
    /// Whether pings are still to be answered here, now that <see cref="Due"/> completed: if so
    /// they are taken as answered; if not (a PINGREQ began its write, or reading resumed, since
    /// Due completed), Due is renewed.
    /// </summary>
    public bool AnswerHere()
    {
        lock (_gate)
        {
            if (_held && _writing == 0 && _sent > _answeredThrough)
            {
                Answered();
                return true;
            }

            if (_due.Task.IsCompleted)
            {
                _due = NewDue();
            }

            return false;
        }
    }

    /// <summary>
    /// A PINGRESP of the broker's was read: whether it is to reach MQTTnet, or was for a ping
    /// answered already (here, or by an earlier PINGRESP, which MQTTnet completes every ping with).
    /// </summary>
    public bool BrokerAnswered()
    {
        lock (_gate)
        {
            _read++;
            if (_read <= _answeredThrough)
            {
                return false;
            }

            Answered();
            return true;
        }
    }

    private void Answered()
    {
        _answeredThrough = _sent;
        if (_due.Task.IsCompleted)
        {
            _due = NewDue();
        }
    }

    private void AnswerIfDue()
    {
        if (_held && _writing == 0 && _sent > _answeredThrough)
        {
            _due.TrySetResult();
        }
    }

    private static TaskCompletionSource NewDue() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
