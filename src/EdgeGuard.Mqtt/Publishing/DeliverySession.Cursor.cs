namespace EdgeGuard.Mqtt.Publishing;

// The delivery cursor. This loop never writes it: it reports each acknowledged prefix to the
// journal in memory (IOutbox.Acknowledged, in OnAcknowledged), and the journal's writer thread
// makes it durable, with its next commit of events or, when none comes, with a commit of the
// cursor alone within CursorWriteInterval or BatchSize PUBACKs (src/EdgeGuard.Journal/README.md).
// Only _acked, the end of the contiguous prefix of successful PUBACKs, is ever reported.
//
// Until 2026-12-04 this loop wrote the cursor itself, an fsync every interval. With the wait for
// the journal's lock bounded, its own commit still took as long as the disk did, and it is often
// the last write of a burst (one door event: the writer commits it, the PUBACK comes, 250 ms later
// the cursor is written alone): an SD card that hung then hung this loop, which is also what shows
// a lockdown and a stalled journal to the office, reconnects a lost link and sends offline at a
// stop. The writer hung on the card is what the journal's stall detection watches.
//
// An orderly stop asks for the cursor at once (IOutbox.CursorDurableAsync) and waits for it at most
// what is left of the drain's budget: offline and DISCONNECT follow either way, and a cursor not
// yet durable then only lags (a restart resends what it lags by, replayed: true).
internal sealed partial class DeliverySession
{
    /// <summary>
    /// The least an orderly stop waits for the cursor, even when the drain used up its budget: a
    /// healthy card commits it in milliseconds to tens of them; a longer wait means a hung card,
    /// and offline must not wait for that.
    /// </summary>
    internal static readonly TimeSpan CursorWait = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// On an orderly stop: waits at most <paramref name="wait"/> for the journal to make the
    /// acknowledged prefix the durable cursor. A cursor not durable by then lags; it is logged.
    /// </summary>
    private async Task CursorDurableAtStopAsync(TimeSpan wait)
    {
        if (_acked <= _outbox.DeliveredThrough)
        {
            return;
        }

        try
        {
            await _outbox.CursorDurableAsync(_acked).WaitAsync(wait, _time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            LogCursorNotDurableAtStop(_acked, _outbox.DeliveredThrough, wait.TotalMilliseconds);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Not advancing the cursor only causes duplicates after a restart.
            LogCursorNotWritten(ex, _acked);
        }
    }
}
