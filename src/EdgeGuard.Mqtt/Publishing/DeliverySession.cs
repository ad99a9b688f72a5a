using EdgeGuard.Core.Ports;
using EdgeGuard.Mqtt.Contract;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeGuard.Mqtt.Publishing;

/// <summary>
/// Delivery over one connection: pipelines outbox records as QoS 1 publishes in seq order, moves
/// the cursor over the contiguous prefix of successful PUBACKs (reported to the journal, which
/// makes it durable: DeliverySession.Cursor.cs), republishes retained state after point and
/// lockdown events (coalesced per point, see DeliverySession.State.cs) and, while idle, after
/// changes no event announced (DeliverySession.Resync.cs), waits for PUBACKs and new records (see
/// DeliverySession.Waiting.cs), and backs off when the broker refuses an event. Any exception
/// means the connection is unusable; the publisher then reconnects and starts a new session.
/// </summary>
internal sealed partial class DeliverySession
{
    private readonly IMqttClient _client;
    private readonly MqttPublisherOptions _options;
    private readonly IOutbox _outbox;
    private readonly ISiteStateSource _state;
    private readonly Topics _topics;
    private readonly DeliveryFaultReporter _faults;
    private readonly BrokerFaultReporter _brokerFaults;
    private readonly DeliveryStats _stats;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly InFlightWindow _window;
    private readonly PacketSizeLimit _packetLimit;
    private readonly long _replayThrough;
    private readonly SortedSet<string> _pendingPoints = new(StringComparer.Ordinal);
    private IReadOnlyList<JournalRecord> _buffer = [];
    private int _bufferIndex;
    private long _sent;
    private long _acked;
    private bool _pendingLockdown;
    private bool _refreshStateAfterDelivery;
    private bool _stateNotYetAvailable;
    private int _refusals;

    // Set when the broker refused the event at the head, until it accepts it: meanwhile that event
    // is retried alone. The broker may refuse one message and accept the ones pipelined behind it
    // (a per-message limit such as its message_size_limit); resending the whole window on every
    // retry would deliver those again and again while the refused one stays stuck.
    private bool _retryingRefused;

    // The seq PacketSizeLimit refused before it left (0: none), until it is settled. Nothing goes
    // out behind it: the refusal is known before the next PUBLISH would leave, so unlike a broker's
    // it needs no retry alone to be the message's own, and events behind it sent meanwhile
    // reached the office ahead of its stub, and again after it (1,3,4,5,2,3,4,5).
    private long _refusedLocally;

    public DeliverySession(
        IMqttClient client, int window, uint maxPacketSize, long replayThrough, long highestSent, MqttPublisherOptions options, IOutbox outbox,
        ISiteStateSource state, Topics topics, DeliveryFaultReporter faults, BrokerFaultReporter brokerFaults, DeliveryStats stats, TimeProvider time, ILogger log,
        ResendSlot resends, IJournalStallSource? journalStalls = null, Action? rebirth = null)
    {
        _rebirth = rebirth;
        _resends = resends;
        _journalStalls = journalStalls;
        _client = client;
        _options = options;
        _outbox = outbox;
        _state = state;
        _topics = topics;
        _faults = faults;
        _brokerFaults = brokerFaults;
        _stats = stats;
        _time = time;
        _log = log;
        _window = new InFlightWindow(window);
        _packetLimit = new PacketSizeLimit(maxPacketSize);
        _replayThrough = replayThrough;
        HighestSent = highestSent;
        // After what the broker acknowledged, not the durable cursor, which the journal writes up to
        // an interval later (a hung card: much later); a restart resends from the durable one.
        _acked = _sent = Math.Max(outbox.DeliveredThrough, stats.AcknowledgedThrough);
        _stateCheckedAt = time.GetTimestamp();
        // A refusal still open from the last connection is what the broker retains: once the event
        // is through, ok goes at once, not only after the replay.
        _deliveryShown = faults.Status is { IsRefused: true } open ? open : null;
        UnheardPublished(faults.Unheard, faults.UnheardVersion);
    }

    /// <summary>Highest seq ever handed to the client in this process; a resend of it is "replayed".</summary>
    public long HighestSent { get; private set; }

    /// <summary>
    /// Sends every record journaled before the connection (seq up to the replay mark), replayed;
    /// with a backlog, the current state/lockdown goes first and follows the site meanwhile
    /// (DeliverySession.Resync.cs).
    /// </summary>
    public Task ReplayAsync(CancellationToken cancellationToken)
    {
        // The whole state is republished right after the replay: no per-event refreshes meanwhile.
        _refreshStateAfterDelivery = false;
        _lockdownAheadOfReplay = _replayThrough > _outbox.DeliveredThrough;
        // With a backlog, state/delivery goes first too: a refusal a previous process left retained
        // there would otherwise say "refused" for the whole replay (minutes for a large backlog).
        _pendingDelivery |= _lockdownAheadOfReplay;
        return PumpAsync(_replayThrough, live: false, cancellationToken);
    }

    /// <summary>
    /// Delivers the events journaled while the replay ran, then republishes every retained state
    /// topic and waits for their PUBACKs.
    /// </summary>
    /// <remarks>
    /// The state is read as it is now, after whatever happened during the replay: a door opened
    /// then is open in it, and its event was journaled behind the backlog. Republished at once, the
    /// state overtook that event (the contract: a change is republished after the event that
    /// announces it), and a link lost then left it so. So the events through the last seq as it
    /// is once the replay ends go first; state/lockdown has followed the site ahead of them all
    /// along (DeliverySession.Resync.cs). Those journaled meanwhile are announced by the stream,
    /// each refreshing its state after it, as live.
    /// </remarks>
    public async Task RepublishStateAsync(CancellationToken cancellationToken)
    {
        await PumpAsync(_outbox.LastSeq, live: false, cancellationToken).ConfigureAwait(false);
        _lockdownAheadOfReplay = false;
        _pendingDelivery = true;
        MarkAllStateDirty();
        await PumpAsync(_sent, live: false, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Streams new records as they are journaled, until cancelled or the link fails.</summary>
    public Task StreamAsync(CancellationToken cancellationToken)
    {
        _refreshStateAfterDelivery = true;
        return PumpAsync(long.MaxValue, live: true, cancellationToken);
    }

    /// <summary>
    /// Drops what is in flight (sent again on the next connection). No cursor write: the journal
    /// already has every acknowledged prefix in memory and makes it durable on its own thread.
    /// </summary>
    public void Abandon()
    {
        _window.Abandon();
        AbandonWaits();
        EndResendWithSession();
    }

    private async Task PumpAsync(long through, bool live, CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_lockdownAheadOfReplay)
            {
                CheckLockdownDuringReplay();
            }

            CheckUnheardWhileBusy(); // a flag test unless events went unheard

            Fill(through);
            if (_window.Count == 0)
            {
                // Done through `through`, or nothing more to read there. A read that failed is
                // waited for only while records through `through` are still to be sent: with none
                // left, nothing retries it, and a stop spun to its deadline, its state pass skipped.
                if (!live && (_sent >= through || JournalReadDueIn() is null))
                {
                    return;
                }

                if (CheckStateShown())
                {
                    continue; // a retained topic no event refreshes is out of date: publish it first
                }

                var idle = IdleWait(cancellationToken);
                await idle.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                EndIdleWait(idle);
                await SendNewRecordsThenLeaveAsync(through).ConfigureAwait(false);
                continue;
            }

            if (_resending is not null && CheckStateShown())
            {
                // A resend keeps the window busy for minutes: the office's heard (the unheard range
                // trimmed) and retained state that drifted show meanwhile, as when idle.
                continue;
            }

            await SettleHeadAsync(live, cancellationToken).ConfigureAwait(false);
        }
    }

    private void Fill(long through)
    {
        if (_stateNotYetAvailable && _state.Current is not null)
        {
            MarkAllStateDirty();
        }

        PromoteDeferredPoints();
        while (!_window.IsFull && TryTakeStateRefresh(out var kind, out var point))
        {
            PublishState(kind, point);
        }

        PublishEvents(through);
        PublishResent(); // live only, below the live records
        ReportJournalReadFault();
    }

    private void PublishEvents(long through)
    {
        while (!_window.IsFull && !(_retryingRefused && _sent > _acked) && _refusedLocally == 0 && TryNextRecord(through, out var record))
        {
            PublishEvent(record);
        }
    }

    private bool TryNextRecord(long through, out JournalRecord record)
    {
        while (true)
        {
            if (_bufferIndex >= _buffer.Count)
            {
                if (_sent >= through)
                {
                    record = null!;
                    return false;
                }

                _buffer = ReadOutbox(_sent);
                _bufferIndex = 0;
                if (_buffer.Count == 0)
                {
                    record = null!;
                    return false;
                }
            }

            record = _buffer[_bufferIndex];
            if (record.Seq > through)
            {
                return false;
            }

            _bufferIndex++;
            if (record.Seq > _sent)
            {
                return true;
            }
        }
    }

    private void PublishEvent(JournalRecord record)
    {
        var replayed = record.Seq <= _replayThrough || record.Seq <= HighestSent;
        var withheld = _faults.WithheldReason(record.Seq);
        var dataEmbedded = true;
        var payload = withheld is null
            ? Payloads.Event(record, _topics, replayed, out dataEmbedded)
            : Payloads.WithheldEvent(record, _topics, replayed, withheld);
        if (!dataEmbedded)
        {
            LogDataNotAnObject(record.Seq, record.Type);
        }

        var message = new MqttApplicationMessageBuilder()
            .WithTopic(_topics.Events)
            .WithPayload(payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithContentType(Payloads.JsonContentType)
            .WithPayloadFormatIndicator(MqttPayloadFormatIndicator.CharacterData)
            .WithUserProperty("seq", ClientOptionsFactory.DecimalUtf8(record.Seq))
            .Build();
        // No token, for events and state alike: a cancellable one costs the client a registration
        // for its PUBACK wait (and one for a send that has to wait), on the thread and the path an
        // alert takes (docs/PERFORMANCE.md). Nothing waits on it unbounded: the head's wait has its
        // timeout (HeadAck), and a client that disconnects or is disposed fails every request.
        var refused = _packetLimit.RefuseIfTooLarge(message);
        if (refused is not null)
        {
            _refusedLocally = record.Seq;
        }

        _window.Add(new InFlight(InFlightKind.Event, record, null, refused ?? _client.PublishAsync(message)));
        _sent = record.Seq;
        HighestSent = Math.Max(HighestSent, record.Seq);
        _stats.Sent(HighestSent);
    }

    private async Task SettleHeadAsync(bool live, CancellationToken cancellationToken)
    {
        _window.TryPeek(out var head);
        var ack = HeadAck(head, cancellationToken);
        if (live && await SentNewRecordsFirstAsync(ack, cancellationToken).ConfigureAwait(false))
        {
            return; // the head is still in flight: the pump's next pass settles it
        }

        MqttClientPublishResult result;
        try
        {
            result = await ack.ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            throw new MqttLinkException($"no PUBACK within {_options.Timeout.TotalSeconds:0.#} s ({Describe(head)}): the link is considered dead", ex);
        }

        if (head.Kind != InFlightKind.Event || IsSuccess(result))
        {
            _window.Dequeue();
            Settled(head, result);
            // Everything behind the head that has already succeeded joins the prefix now.
            while (_window.TryPeek(out var next) && next.Ack.IsCompletedSuccessfully
                && (next.Kind != InFlightKind.Event || IsSuccess(next.Ack.Result)))
            {
                _window.Dequeue();
                Settled(next, next.Ack.Result);
            }

            return;
        }

        await OnRefusedAsync(head.Record!, result, cancellationToken).ConfigureAwait(false);
    }

    // An event here is acknowledged; retained state may have been refused (and is not held back).
    private void Settled(InFlight entry, MqttClientPublishResult result)
    {
        if (entry.Kind == InFlightKind.Resend)
        {
            OnResentSettled(entry, result); // a refusal ends the resend, never the stream
        }
        else if (entry.Kind != InFlightKind.Event && !IsSuccess(result))
        {
            OnStateRefused(entry, result);
        }
        else
        {
            OnAcknowledged(entry);
        }
    }

    private void OnAcknowledged(InFlight entry)
    {
        if (entry.Kind != InFlightKind.Event)
        {
            OnStateAcknowledged(entry);
            return;
        }

        var record = entry.Record!;
        _acked = record.Seq;
        // In memory, before anything else can see the PUBACK: the journal times its round trip
        // (whether to hold commits at all) and makes this cursor durable on its writer thread.
        _outbox.Acknowledged(_acked);
        _stats.Acknowledged(record.Seq);
        NoteIfUnheard(entry);
        UnheardChanged(); // opened here, or trimmed by the office's heard on another thread
        _refusals = 0;
        _retryingRefused = false;
        _faults.Delivered(record.Seq);
        if (_deliveryShown is { IsRefused: true })
        {
            DeliveryStateChanged(); // the refused head (or its stub) is through: ok
        }

        if (_refreshStateAfterDelivery)
        {
            RefreshStateAfter(record);
        }
    }

    /// <summary>
    /// A PUBACK reason as text, e.g. <c>NotAuthorized (135)</c> plus the broker's reason string. A code
    /// outside MQTTnet's PUBACK list (Mosquitto answers an oversized message with 149) is named from
    /// MQTT 5's shared reason codes, which the DISCONNECT list covers.
    /// </summary>
    internal static string Describe(MqttClientPublishResult result) => Refusal(result).Text;

    // Describe's words, and how a repeat of them is recognised (OutboxPublisher.Reason).
    internal static BrokerRefusal Refusal(MqttClientPublishResult result)
    {
        var code = Enum.IsDefined(result.ReasonCode) ? result.ReasonCode.ToString() : ((MqttClientDisconnectReason)(int)result.ReasonCode).ToString();
        return OutboxPublisher.Reason(code, (int)result.ReasonCode, result.ReasonString);
    }

    private static bool IsSuccess(MqttClientPublishResult result) =>
        result.ReasonCode is MqttClientPublishReasonCode.Success or MqttClientPublishReasonCode.NoMatchingSubscribers;

    private string Describe(InFlight entry) => entry.Kind switch
    {
        InFlightKind.Event => $"event seq {entry.Record!.Seq}",
        InFlightKind.LockdownState => _topics.LockdownState,
        InFlightKind.DeliveryState => _topics.DeliveryState,
        InFlightKind.Resend => $"resent event seq {entry.Record!.Seq}",
        _ => _topics.PointStatePrefix + entry.Point,
    };
}
