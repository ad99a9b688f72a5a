using EdgeGuard.Core.Ports;
using EdgeGuard.Mqtt.Contract;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeGuard.Mqtt.Publishing;

/// <summary>
/// Delivery over one connection: pipelines outbox records as QoS 1 publishes in seq order, moves
/// the cursor over the contiguous prefix of successful PUBACKs, republishes retained state after
/// point and lockdown events, and backs off when the broker refuses an event. Any exception
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
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly CancellationToken _linkLost;
    private readonly InFlightWindow _window;
    private readonly long _replayThrough;
    private readonly SortedSet<string> _pendingPoints = new(StringComparer.Ordinal);
    private IReadOnlyList<JournalRecord> _buffer = [];
    private int _bufferIndex;
    private long _sent;
    private long _acked;
    private long _marked;
    private bool _pendingLockdown;
    private bool _refreshStateAfterDelivery;
    private int _refusals;

    public DeliverySession(
        IMqttClient client, int window, long replayThrough, long highestSent, MqttPublisherOptions options, IOutbox outbox,
        ISiteStateSource state, Topics topics, DeliveryFaultReporter faults, TimeProvider time, ILogger log, CancellationToken linkLost)
    {
        _client = client;
        _options = options;
        _outbox = outbox;
        _state = state;
        _topics = topics;
        _faults = faults;
        _time = time;
        _log = log;
        _linkLost = linkLost;
        _window = new InFlightWindow(window);
        _replayThrough = replayThrough;
        HighestSent = highestSent;
        _acked = _marked = _sent = outbox.DeliveredThrough;
    }

    /// <summary>Highest seq ever handed to the client in this process; a resend of it is "replayed".</summary>
    public long HighestSent { get; private set; }

    /// <summary>Sends every record journaled before the connection (seq up to the replay mark), replayed.</summary>
    public Task ReplayAsync(CancellationToken cancellationToken)
    {
        // The whole state is republished right after the replay: no per-event refreshes meanwhile.
        _refreshStateAfterDelivery = false;
        return PumpAsync(_replayThrough, live: false, cancellationToken);
    }

    /// <summary>Republishes every retained state topic and waits for their PUBACKs.</summary>
    public Task RepublishStateAsync(CancellationToken cancellationToken)
    {
        _pendingLockdown = true;
        if (_state.Current is { } current)
        {
            _pendingPoints.UnionWith(current.Points.Keys.Where(Topics.IsValidLevel));
        }

        return PumpAsync(_sent, live: false, cancellationToken);
    }

    /// <summary>Streams new records as they are journaled, until cancelled or the link fails.</summary>
    public Task StreamAsync(CancellationToken cancellationToken)
    {
        _refreshStateAfterDelivery = true;
        return PumpAsync(long.MaxValue, live: true, cancellationToken);
    }

    /// <summary>On orderly shutdown: waits (bounded) for the PUBACKs in flight, then writes the cursor.</summary>
    public async Task DrainAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout, _time);
        try
        {
            while (_window.TryPeek(out var head))
            {
                var result = await head.Ack.WaitAsync(deadline.Token).ConfigureAwait(false);
                if (head.Kind == InFlightKind.Event && !IsSuccess(result))
                {
                    break;
                }

                _window.Dequeue();
                OnAcknowledged(head);
            }
        }
        finally
        {
            FlushCursor(force: true);
        }
    }

    /// <summary>Drops whatever is still in flight (it is sent again on the next connection).</summary>
    public void Abandon()
    {
        FlushCursor(force: true);
        _window.Abandon();
    }

    private async Task PumpAsync(long through, bool live, CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Fill(through);
            if (_window.Count == 0)
            {
                if (!live)
                {
                    FlushCursor(force: true);
                    return;
                }

                FlushCursor(force: true);
                await WaitForRecordsAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }

            await SettleHeadAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private void Fill(long through)
    {
        while (!_window.IsFull && TryTakeStateRefresh(out var kind, out var point))
        {
            PublishState(kind, point);
        }

        while (!_window.IsFull && TryNextRecord(through, out var record))
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

                _buffer = _outbox.ReadAfter(_sent, _options.BatchSize);
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
        var payload = Payloads.Event(record, _topics, replayed, out var dataEmbedded);
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
        var ack = _client.PublishAsync(message, _linkLost);
        _window.Add(new InFlight(InFlightKind.Event, record, null, ack));
        _sent = record.Seq;
        HighestSent = Math.Max(HighestSent, record.Seq);
    }

    private void PublishState(InFlightKind kind, string? point)
    {
        var current = _state.Current;
        if (current is null)
        {
            return; // Boot has not completed; the state is published once it has.
        }

        var now = _time.GetUtcNow();
        var (topic, payload) = kind == InFlightKind.LockdownState
            ? (_topics.LockdownState, Payloads.LockdownState(current, _topics, now))
            : (_topics.PointState(point!), Payloads.PointState(point!, current.IsActive(point!), _topics, now));
        var message = new MqttApplicationMessageBuilder()
            .WithTopic(topic)
            .WithPayload(payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithRetainFlag(true)
            .WithContentType(Payloads.JsonContentType)
            .WithPayloadFormatIndicator(MqttPayloadFormatIndicator.CharacterData)
            .Build();
        _window.Add(new InFlight(kind, null, point, _client.PublishAsync(message, _linkLost)));
    }

    private bool TryTakeStateRefresh(out InFlightKind kind, out string? point)
    {
        if (_pendingLockdown)
        {
            _pendingLockdown = false;
            (kind, point) = (InFlightKind.LockdownState, null);
            return true;
        }

        if (_pendingPoints.Count > 0)
        {
            var first = _pendingPoints.Min!;
            _pendingPoints.Remove(first);
            (kind, point) = (InFlightKind.PointState, first);
            return true;
        }

        (kind, point) = (default, null);
        return false;
    }

    private async Task SettleHeadAsync(CancellationToken cancellationToken)
    {
        _window.TryPeek(out var head);
        MqttClientPublishResult result;
        try
        {
            result = await head.Ack.WaitAsync(_options.Timeout, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            throw new MqttLinkException($"no PUBACK within {_options.Timeout.TotalSeconds:0.#} s ({Describe(head)}): the link is considered dead", ex);
        }

        if (head.Kind != InFlightKind.Event || IsSuccess(result))
        {
            if (head.Kind != InFlightKind.Event && !IsSuccess(result))
            {
                LogStateRefused(Describe(head), result.ReasonCode, result.ReasonString);
            }

            _window.Dequeue();
            OnAcknowledged(head);
            // Everything behind the head that has already succeeded joins the prefix now.
            while (_window.TryPeek(out var next) && next.Ack.IsCompletedSuccessfully
                && (next.Kind != InFlightKind.Event || IsSuccess(next.Ack.Result)))
            {
                _window.Dequeue();
                OnAcknowledged(next);
            }

            FlushCursor(force: false);
            return;
        }

        await OnRefusedAsync(head.Record!, result, cancellationToken).ConfigureAwait(false);
    }

    private void OnAcknowledged(InFlight entry)
    {
        if (entry.Kind != InFlightKind.Event)
        {
            return;
        }

        var record = entry.Record!;
        _acked = record.Seq;
        _refusals = 0;
        _faults.Delivered(record.Seq);
        if (!_refreshStateAfterDelivery)
        {
            return;
        }

        if (record.Type.StartsWith("point.", StringComparison.Ordinal) && Topics.IsValidLevel(record.Point))
        {
            _pendingPoints.Add(record.Point!);
        }
        else if (record.Type.StartsWith("lockdown.", StringComparison.Ordinal)
            || record.Type.StartsWith("siren.", StringComparison.Ordinal)
            || string.Equals(record.Type, "gateway.started", StringComparison.Ordinal))
        {
            _pendingLockdown = true;
        }
    }

    private async Task OnRefusedAsync(JournalRecord record, MqttClientPublishResult result, CancellationToken cancellationToken)
    {
        var reason = string.IsNullOrEmpty(result.ReasonString)
            ? $"broker refused the event: {result.ReasonCode} ({(int)result.ReasonCode})"
            : $"broker refused the event: {result.ReasonCode} ({(int)result.ReasonCode}): {result.ReasonString}";
        if (_faults.Refused(record.Seq, reason))
        {
            LogRefused(record.Seq, record.Type, result.ReasonCode, result.ReasonString);
        }

        // Records behind the refused one are sent again after it: order is never given up.
        foreach (var state in _window.Abandon())
        {
            RequeueState(state);
        }

        FlushCursor(force: true);
        _buffer = [];
        _bufferIndex = 0;
        _sent = _acked;
        var delay = ReconnectBackoff.Delay(_refusals++, _options.ReconnectDelayMin, _options.ReconnectDelayMax, Random.Shared.NextDouble());
        await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
    }

    private void RequeueState(InFlight state)
    {
        if (state.Kind == InFlightKind.LockdownState)
        {
            _pendingLockdown = true;
        }
        else if (state.Point is { } point)
        {
            _pendingPoints.Add(point);
        }
    }

    private async Task WaitForRecordsAsync(CancellationToken cancellationToken)
    {
        // Wake up once per keep-alive to notice a client that dropped without telling us.
        using var idle = new CancellationTokenSource(_options.KeepAlive, _time);
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, idle.Token);
        try
        {
            await _outbox.WaitForRecordsAfterAsync(_sent, wait.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            if (!_client.IsConnected)
            {
                throw new MqttLinkException("the MQTT client is no longer connected");
            }
        }
    }

    private void FlushCursor(bool force)
    {
        if (_acked <= _marked || (!force && _acked - _marked < _options.BatchSize && _window.Count > 0))
        {
            return;
        }

        try
        {
            _outbox.MarkDelivered(_acked);
            _marked = _acked;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Not advancing the cursor only causes duplicates after a restart; keep delivering.
            LogCursorNotWritten(ex, _acked);
        }
    }

    private static bool IsSuccess(MqttClientPublishResult result) =>
        result.ReasonCode is MqttClientPublishReasonCode.Success or MqttClientPublishReasonCode.NoMatchingSubscribers;

    private string Describe(InFlight entry) => entry.Kind switch
    {
        InFlightKind.Event => $"event seq {entry.Record!.Seq}",
        InFlightKind.LockdownState => _topics.LockdownState,
        _ => _topics.PointStatePrefix + entry.Point,
    };

    [LoggerMessage(EventId = 310, Level = LogLevel.Error, Message = "The broker refused event seq {Seq} ({Type}): {ReasonCode} {ReasonString}. It stays in the outbox and is retried with backoff; nothing after it is delivered meanwhile")]
    private partial void LogRefused(long seq, string type, MqttClientPublishReasonCode reasonCode, string? reasonString);

    [LoggerMessage(EventId = 311, Level = LogLevel.Warning, Message = "The broker refused retained state {What}: {ReasonCode} {ReasonString}")]
    private partial void LogStateRefused(string what, MqttClientPublishReasonCode reasonCode, string? reasonString);

    [LoggerMessage(EventId = 312, Level = LogLevel.Error, Message = "Event seq {Seq} ({Type}) has data that is not a JSON object; published with data {{}} (the journal keeps the original)")]
    private partial void LogDataNotAnObject(long seq, string type);

    [LoggerMessage(EventId = 313, Level = LogLevel.Error, Message = "The delivery cursor could not be written at seq {Seq}; delivery continues, a restart may resend events")]
    private partial void LogCursorNotWritten(Exception ex, long seq);
}
