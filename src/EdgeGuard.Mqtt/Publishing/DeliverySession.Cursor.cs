namespace EdgeGuard.Mqtt.Publishing;

// The delivery cursor: when the acknowledged prefix is written to the outbox. Each write is a
// durable commit (an fsync) on this loop, competing with the journal's writer for SQLite's write
// lock, so it is rate-limited; a cursor that lags only makes a restart send the events after it
// again (replayed: true), which the contract allows. It never moves past an unacknowledged seq:
// only _acked, the end of the contiguous prefix of successful PUBACKs, is ever written. The journal
// also writes that prefix with its own next commit (IOutbox.Acknowledged): while events flow, the
// commits that follow the PUBACKs have made the cursor durable before this write is due, and it is
// skipped.
internal sealed partial class DeliverySession
{
    // Timestamp (of _time) of the first acknowledgement the cursor does not cover yet.
    private long? _cursorPendingSince;

    /// <summary>Notes that the acknowledged prefix moved ahead of the written cursor.</summary>
    private void CursorBehind()
    {
        _cursorPendingSince ??= _time.GetTimestamp();
    }

    /// <summary>
    /// Writes the cursor when <paramref name="force"/> (drain, shutdown, a refusal, end of replay),
    /// when <see cref="MqttPublisherOptions.BatchSize"/> acknowledgements are waiting, or when the
    /// oldest unwritten one has waited <see cref="MqttPublisherOptions.CursorWriteInterval"/>.
    /// </summary>
    private void FlushCursor(bool force)
    {
        if (_acked <= _marked)
        {
            return;
        }

        if (_outbox.DeliveredThrough >= _acked)
        {
            // The journal made it durable with a commit of its own (IOutbox.Acknowledged).
            _marked = _acked;
            _cursorPendingSince = null;
            return;
        }

        if (!force && _acked - _marked < _options.BatchSize && CursorWriteDueIn() is { } dueIn && dueIn > TimeSpan.Zero)
        {
            return;
        }

        try
        {
            _outbox.MarkDelivered(_acked);
            _marked = _acked;
            _cursorPendingSince = null;
            _stats.CursorWritten();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Not advancing the cursor only causes duplicates after a restart; keep delivering,
            // and try again one interval from now rather than on every pass of an idle loop.
            _cursorPendingSince = _time.GetTimestamp();
            LogCursorNotWritten(ex, _acked);
        }
    }

    /// <summary>How long until the cursor must be written; null when it covers every acknowledgement.</summary>
    private TimeSpan? CursorWriteDueIn() => _acked <= _marked || _cursorPendingSince is not { } since
        ? null
        : _options.CursorWriteInterval - _time.GetElapsedTime(since);
}
