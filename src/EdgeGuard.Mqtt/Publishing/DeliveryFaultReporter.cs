using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Mqtt.Contract;

namespace EdgeGuard.Mqtt.Publishing;

/// <summary>
/// Reports a refused event as one <see cref="DeliveryFault"/> per episode: the first refusal of a
/// sequence number (or a new reason for it) is reported; retries of the same refusal, across
/// reconnects too, are not: the same <see cref="BrokerRefusal.Key"/>, as a broker's reason string
/// may number its refusals or give its time. The episode ends when that record is delivered. Shared by the sessions
/// of one publisher, it is also what <c>state/delivery</c> shows (<see cref="Status"/>) and which
/// record is withheld (<see cref="Withhold"/>): both must outlive a reconnect. The same fault, once
/// per episode, says that the journal could not be read (<see cref="ReadFailed"/>). It also keeps
/// the events no one heard (<see cref="Unheard"/>) until the office has them again.
/// </summary>
internal sealed class DeliveryFaultReporter(IEventSink sink, TimeProvider time)
{
    private readonly Lock _gate = new();
    private long _seq;
    private string? _reason;
    private string? _reasonKey;
    private DateTimeOffset _since;
    private long _withheldSeq;
    private string? _withheldReason;

    // Seqs delivered as their stub, and why: the latest StubsKept (a few KB; an event too large for
    // the broker is rare). A resend of one sends its stub at once; one of an older seq learns it from
    // its own refusal, and the seqs behind it are then sent twice (DeliverySession.Resend.cs).
    private const int StubsKept = 256;
    private readonly SortedList<long, string> _deliveredAsStubs = [];
    private readonly HashSet<string> _refusedStateTopics = new(StringComparer.Ordinal);
    private int _stateEpisodes;
    private long _reported;
    private long _refusals;
    private long _withheld;
    private bool _readFaultOpen;
    private UnheardSeqs? _unheard;
    private long _unheardVersion;

    /// <summary>How many faults were reported.</summary>
    public long Reported => Interlocked.Read(ref _reported);

    /// <summary>Every refused publish of an event, retries included.</summary>
    public long Refusals => Interlocked.Read(ref _refusals);

    /// <summary>Retained state topics the broker refuses now (an episode each, until one is taken).</summary>
    public int StateEpisodes => Volatile.Read(ref _stateEpisodes);

    /// <summary>Events published as a withheld stub in place of themselves, since start.</summary>
    public long Withheld => Interlocked.Read(ref _withheld);

    /// <summary>Whether an episode is open (a record is being refused).</summary>
    public bool InEpisode
    {
        get
        {
            lock (_gate)
            {
                return _reason is not null;
            }
        }
    }

    /// <summary>What <c>state/delivery</c> shows: the open episode, or <see cref="DeliveryStatus.Ok"/>.</summary>
    public DeliveryStatus Status
    {
        get
        {
            lock (_gate)
            {
                return _reason is null ? DeliveryStatus.Ok : new DeliveryStatus(_seq, _reason, _since);
            }
        }
    }

    /// <summary>
    /// The events acknowledged with NoMatchingSubscribers that the office has not confirmed having
    /// (its heard command, <see cref="Heard"/>); null when none.
    /// </summary>
    public UnheardSeqs? Unheard
    {
        get
        {
            lock (_gate)
            {
                return _unheard;
            }
        }
    }

    /// <summary>
    /// Changes each time the unheard range opens, is trimmed or clears (not when it only grows):
    /// read for every acknowledged event, so a session notices a heard without a lock per event.
    /// </summary>
    public long UnheardVersion => Volatile.Read(ref _unheardVersion);

    /// <summary>
    /// Notes an event acknowledged with NoMatchingSubscribers: it opens the unheard range, or
    /// extends it to <paramref name="seq"/>. True when it opened the range.
    /// </summary>
    public bool NoteUnheard(long seq)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            if (_unheard is { } open)
            {
                // PUBACKs are settled in seq order; Min and Max keep the range whole regardless.
                _unheard = open with { FromSeq = Math.Min(open.FromSeq, seq), ThroughSeq = Math.Max(open.ThroughSeq, seq) };
                return false;
            }

            _unheard = new UnheardSeqs(seq, seq, now);
            Interlocked.Increment(ref _unheardVersion);
            return true;
        }
    }

    /// <summary>
    /// The office confirmed (its signed <c>heard</c> command) that it has every event through
    /// <paramref name="throughSeq"/>: the unheard range loses the seqs up to it, and clears once
    /// nothing is left. A seq below the range's first changes nothing. Nothing else trims it: a
    /// PUBACK Success proves only that someone subscribes, not that the office has the events.
    /// True when the range changed (trimmed or cleared).
    /// </summary>
    public bool Heard(long throughSeq)
    {
        lock (_gate)
        {
            if (_unheard is not { } open || throughSeq < open.FromSeq)
            {
                return false;
            }

            _unheard = throughSeq >= open.ThroughSeq ? null : open with { FromSeq = throughSeq + 1 };
            Interlocked.Increment(ref _unheardVersion);
            return true;
        }
    }

    /// <summary>Journals how a resend ended (<c>resend.ended</c>): not a fault, but the same sink.</summary>
    public void ResendEnded(ResendEnded ended) => sink.Publish([ended]);

    /// <summary>Records a refusal whose words are its key (<see cref="BrokerRefusal.Stable"/>).</summary>
    public bool Refused(long seq, string reason) => Refused(seq, BrokerRefusal.Stable(reason));

    /// <summary>Records a refusal; returns true when it opened a new episode and was reported.</summary>
    public bool Refused(long seq, BrokerRefusal refusal)
    {
        Interlocked.Increment(ref _refusals);
        var now = time.GetUtcNow();
        var reason = refusal.Text;
        lock (_gate)
        {
            if (seq == _seq && _reason is not null && string.Equals(refusal.Key, _reasonKey, StringComparison.Ordinal))
            {
                return false;
            }

            // A new reason for the same record keeps its start: the office learns how long the
            // head has been stuck, not how long this reason has been given.
            if (seq != _seq || _reason is null)
            {
                _since = now;
            }

            _seq = seq;
            _reason = reason;
            _reasonKey = refusal.Key;
        }

        Interlocked.Increment(ref _reported);
        sink.Publish([new DeliveryFault(now, seq, reason)]);
        return true;
    }

    /// <summary>
    /// From now on <paramref name="seq"/> is published as a stub that says it was withheld and why
    /// (<paramref name="reason"/>), until it is delivered: the broker refused it for what it is.
    /// </summary>
    public void Withhold(long seq, string reason)
    {
        lock (_gate)
        {
            _withheldReason = reason;
            Volatile.Write(ref _withheldSeq, seq);
        }

        Interlocked.Increment(ref _withheld);
    }

    /// <summary>Why <paramref name="seq"/> is withheld; null when it is sent whole.</summary>
    public string? WithheldReason(long seq)
    {
        // Asked for every event sent: no lock unless this seq is the one withheld.
        if (Volatile.Read(ref _withheldSeq) != seq)
        {
            return null;
        }

        lock (_gate)
        {
            return seq == _withheldSeq ? _withheldReason : null;
        }
    }

    /// <summary>
    /// Why <paramref name="seq"/> was delivered as its withheld stub; null when it was delivered
    /// whole, or too long ago to be remembered. For a resend, which then sends the stub at once.
    /// </summary>
    public string? DeliveredAsStub(long seq)
    {
        lock (_gate)
        {
            return _deliveredAsStubs.GetValueOrDefault(seq);
        }
    }

    /// <summary>
    /// Records that the outbox could not be read at <paramref name="seq"/> (the journal failed,
    /// not the broker); reports it the first time of an episode, whatever the reason says: a
    /// failing card's errors differ from read to read. Not a refusal (<see cref="Refusals"/>).
    /// </summary>
    /// <returns>True when it opened the episode and was reported.</returns>
    public bool ReadFailed(long seq, string reason)
    {
        lock (_gate)
        {
            if (_readFaultOpen)
            {
                return false;
            }

            _readFaultOpen = true;
        }

        Interlocked.Increment(ref _reported);
        sink.Publish([new DeliveryFault(time.GetUtcNow(), seq, reason)]);
        return true;
    }

    /// <summary>Ends a read failure episode: the outbox could be read again.</summary>
    public void ReadRecovered()
    {
        lock (_gate)
        {
            _readFaultOpen = false;
        }
    }

    /// <summary>Closes the episode once the refused record (or a later one) is delivered.</summary>
    public void Delivered(long seq)
    {
        lock (_gate)
        {
            if (_reason is not null && seq >= _seq)
            {
                _reason = null;
                _seq = 0;
            }

            if (_withheldReason is not null && seq >= _withheldSeq)
            {
                _deliveredAsStubs[_withheldSeq] = _withheldReason;
                if (_deliveredAsStubs.Count > StubsKept)
                {
                    _deliveredAsStubs.RemoveAt(0); // the oldest
                }

                Volatile.Write(ref _withheldSeq, 0);
                _withheldReason = null;
            }
        }
    }

    /// <summary>
    /// Records a refused retained state message; reports a <see cref="StateDeliveryFault"/> and
    /// returns true when it opened an episode for <paramref name="topic"/> (once per topic, until
    /// the broker takes one of its messages).
    /// </summary>
    public bool StateRefused(string topic, string reason)
    {
        lock (_gate)
        {
            if (!_refusedStateTopics.Add(topic))
            {
                return false;
            }

            Volatile.Write(ref _stateEpisodes, _refusedStateTopics.Count);
        }

        sink.Publish([new StateDeliveryFault(time.GetUtcNow(), topic, reason)]);
        return true;
    }

    /// <summary>Ends <paramref name="topic"/>'s episode, if any: the broker took a message of it.</summary>
    public void StateDelivered(string topic)
    {
        lock (_gate)
        {
            if (_refusedStateTopics.Remove(topic))
            {
                Volatile.Write(ref _stateEpisodes, _refusedStateTopics.Count);
            }
        }
    }
}

/// <summary>What <c>{root}/state/delivery</c> shows.</summary>
/// <param name="Seq">The refused event at the head of the outbox; 0 when delivery flows.</param>
/// <param name="Reason">Why the broker refused it; null when delivery flows.</param>
/// <param name="Since">When the broker first refused it.</param>
internal readonly record struct DeliveryStatus(long Seq, string? Reason, DateTimeOffset Since)
{
    /// <summary>Delivery flows: no event is refused.</summary>
    public static DeliveryStatus Ok => default;

    /// <summary>Whether an event is refused.</summary>
    public bool IsRefused => Reason is not null;
}
