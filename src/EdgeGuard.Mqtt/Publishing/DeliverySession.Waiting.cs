using EdgeGuard.Core;
using EdgeGuard.Core.Ports;
using MQTTnet;

namespace EdgeGuard.Mqtt.Publishing;

// What the pump waits for. Idle, it waits for a new record (or for the cursor, a deferred state,
// the state check, a failed outbox read's retry or the keep-alive to come due). With something in flight, it waits for the head's PUBACK; and when
// only retained state refreshes are in flight (every event sent is acknowledged), for a new record
// too: an alert journaled while a state refresh awaits its PUBACK goes out at once, on the thread
// that journaled it, instead of one broker round trip later. While events are in flight the pump
// is streaming, their PUBACKs come back one after another and each pass picks up what is new, in
// batches, on the pump's own thread. The head's wait is made once per head, so its PUBACK timeout
// runs from when the head was first waited on, however often new records interrupt it.
internal sealed partial class DeliverySession
{
    // The wait on the current head's PUBACK (with the timeout), and the ack it was made for.
    private Task<MqttClientPublishResult>? _headWait;
    private Task<MqttClientPublishResult>? _headWaitFor;

    // The wait of an idle pump that waits only for its wake (a failed read's retry): times out.
    private static readonly Task NeverCompletes = new TaskCompletionSource().Task;

    // The wait for a record after _newRecordsAfter; kept across passes until it completes.
    private Task? _newRecords;
    private long _newRecordsAfter;

    /// <summary>Observes the waits a session that ends leaves behind, so their later faults are not unobserved.</summary>
    private void AbandonWaits()
    {
        foreach (var wait in (ReadOnlySpan<Task?>)[_headWait, _newRecords])
        {
            if (wait is not null)
            {
                InFlightWindow.Observe(wait);
            }
        }
    }

    /// <summary>The head's PUBACK, failing with <see cref="TimeoutException"/> once the options' timeout has passed.</summary>
    private Task<MqttClientPublishResult> HeadAck(InFlight head, CancellationToken cancellationToken)
    {
        if (!ReferenceEquals(_headWaitFor, head.Ack))
        {
            if (_headWait is { IsCompleted: false } previous)
            {
                InFlightWindow.Observe(previous); // the head it timed was abandoned
            }

            _headWaitFor = head.Ack;
            _headWait = head.Ack.WaitAsync(_options.Timeout, _time, cancellationToken);
        }

        return _headWait!;
    }

    /// <summary>
    /// With only state refreshes in flight and the head not yet acknowledged: waits for whichever comes first.
    /// A new record is sent on the thread that journaled it, which is then left (as in the idle
    /// wait); true. The head's PUBACK (or its failure) first: false, settle it.
    /// </summary>
    private async Task<bool> SentNewRecordsFirstAsync(Task<MqttClientPublishResult> ack, CancellationToken cancellationToken)
    {
        // A failed outbox read waiting out its backoff: new records cannot be read yet, and their
        // wait would complete at once, over and over, until the PUBACK came.
        if (_sent > _acked || _window.IsFull || ack.IsCompleted || JournalReadDueIn() is not null)
        {
            return false;
        }

        if (_newRecords is null || _newRecordsAfter != _sent)
        {
            _newRecordsAfter = _sent;
            _newRecords = _outbox.WaitForRecordsAfterAsync(_sent, cancellationToken);
        }

        var first = await Task.WhenAny(ack, _newRecords).ConfigureAwait(false);
        if (first == ack)
        {
            return false;
        }

        var records = _newRecords;
        _newRecords = null;
        await records.ConfigureAwait(false); // a disposed journal or a cancelled pump ends the session
        await SendNewRecordsThenLeaveAsync(long.MaxValue).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// After a wait for new records ended: this may run on the thread that journaled them (the
    /// controller's, often a GPIO event thread). Sends them at once, then leaves that thread before
    /// state refreshes, settling, error handling or a cursor write, which may wait for the disk. A
    /// refresh that came due meanwhile goes out from the loop's next pass: the office's alert never
    /// waits behind a retained summary (read then, so it already shows the change the record is about).
    /// </summary>
    private async Task SendNewRecordsThenLeaveAsync(long through)
    {
        try
        {
            PublishEvents(through);
        }
        finally
        {
            await Task.Yield();
        }
    }

    /// <summary>
    /// Idle: the wait for a new record, ending at the latest when the keep-alive,
    /// a coalesced point state or the state check comes due (<see cref="TimeoutException"/>), so
    /// none of them waits for the next event. The journal's own signal with one timeout, not an <c>async</c>
    /// method around linked cancellation sources: its continuation is the path from the
    /// journaling thread to the PUBLISH. End it with <see cref="EndIdleWait"/>.
    /// </summary>
    private Task IdleWait(CancellationToken cancellationToken)
    {
        var wake = _options.KeepAlive;
        var readDue = JournalReadDueIn();
        foreach (var due in (ReadOnlySpan<TimeSpan?>)[NextStateRefreshDueIn(), StateCheckDueIn(), readDue])
        {
            if (due is { } dueIn && dueIn < wake)
            {
                wake = dueIn;
            }
        }

        if (wake <= TimeSpan.Zero)
        {
            return Task.CompletedTask; // already due: the pump's next pass handles it
        }

        // Without a token: for a seq it has reached (_sent never passes LastSeq) the journal's wait
        // is its announcement signal itself, which costs nothing to abandon when the wake comes
        // first; the timeout and the pump's token are the one wrapper's. The wake is rounded up to
        // whole milliseconds: WaitAsync drops the rest, so with less than one left it returned a
        // wait already timed out, and the pump spun (nothing due yet) until the deadline passed.
        // After a failed outbox read there is nothing to wait for but the retry: the records are
        // there, and their wait would complete at once.
        var records = readDue is null ? _outbox.WaitForRecordsAfterAsync(_sent, CancellationToken.None) : NeverCompletes;
        return records.IsCompleted ? records : records.WaitAsync(TimerDelay.Until(wake), _time, cancellationToken);
    }

    /// <summary>
    /// After <see cref="IdleWait"/>: throws if the pump was cancelled or the journal is gone; when
    /// the wait only timed out, checks the client, which may have dropped without telling us.
    /// </summary>
    private void EndIdleWait(Task wait)
    {
        if (wait.Exception?.InnerException is TimeoutException)
        {
            if (!_client.IsConnected)
            {
                throw new MqttLinkException("the MQTT client is no longer connected");
            }

            return;
        }

        wait.GetAwaiter().GetResult();
    }
}
