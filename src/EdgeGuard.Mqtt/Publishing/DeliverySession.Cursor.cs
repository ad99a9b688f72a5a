namespace EdgeGuard.Mqtt.Publishing;

// The delivery cursor: when the acknowledged prefix is written to the outbox. Each write is a
// durable commit (an fsync) on this loop, competing with the journal's writer for SQLite's write
// lock, so it is rate-limited; a cursor that lags only makes a restart send the events after it
// again (replayed: true), which the contract allows. It never moves past an unacknowledged seq:
// only _acked, the end of the contiguous prefix of successful PUBACKs, is ever written. The journal
// also writes that prefix with its own next commit (IOutbox.Acknowledged): while events flow, the
// commits that follow the PUBACKs have made the cursor durable before this write is due, and it is
// skipped.
//
// The write waits for the journal's lock at most CursorWait (IOutbox.TryMarkDelivered): a commit on
// an SD card hung in fsync holds that lock for as long as the card hangs, and this loop is also
// what shows a lockdown and a stalled journal to the office, reconnects a lost link and sends
// offline at a stop. A write that gave up is tried again one interval later, with the acknowledged
// prefix of then: the cursor lags, never moves back, and what it lags by is sent again, replayed,
// after a restart.
internal sealed partial class DeliverySession
{
    /// <summary>
    /// The longest a cursor write on the loop waits for the journal's other writers. A commit on a
    /// healthy card holds the lock for milliseconds to tens of them; a longer wait means a hung
    /// card, or a writer busy with a backlog whose commits carry the acknowledged prefix anyway
    /// (IOutbox.Acknowledged): not worth holding up a lockdown for more than this.
    /// </summary>
    internal static readonly TimeSpan CursorWait = TimeSpan.FromMilliseconds(100);

    // Timestamp (of _time) of the first acknowledgement the cursor does not cover yet.
    private long? _cursorPendingSince;

    // Whether the last write gave up on a busy journal: logged once per episode, not every interval.
    private bool _cursorBusy;

    /// <summary>Notes that the acknowledged prefix moved ahead of the written cursor.</summary>
    private void CursorBehind()
    {
        _cursorPendingSince ??= _time.GetTimestamp();
    }

    /// <summary>
    /// Writes the cursor when <paramref name="force"/> (drain, shutdown, a refusal, end of replay),
    /// when <see cref="MqttPublisherOptions.BatchSize"/> acknowledgements are waiting, or when the
    /// oldest unwritten one has waited <see cref="MqttPublisherOptions.CursorWriteInterval"/>.
    /// Waits at most <paramref name="wait"/> (<see cref="CursorWait"/> when null) for the journal.
    /// </summary>
    private void FlushCursor(bool force, TimeSpan? wait = null)
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
            if (!_outbox.TryMarkDelivered(_acked, wait ?? CursorWait))
            {
                // Another write holds the journal (a hung disk, or a long commit that may carry
                // this prefix itself): try again one interval from now, not on every pass.
                _cursorPendingSince = _time.GetTimestamp();
                if (!_cursorBusy)
                {
                    _cursorBusy = true;
                    LogCursorBusy(_acked, (wait ?? CursorWait).TotalMilliseconds);
                }

                return;
            }

            _marked = _acked;
            _cursorPendingSince = null;
            _stats.CursorWritten();
            if (_cursorBusy)
            {
                _cursorBusy = false;
                LogCursorWrittenAgain(_acked);
            }
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
