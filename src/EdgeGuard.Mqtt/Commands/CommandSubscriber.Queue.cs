using System.Threading.Channels;
using EdgeGuard.Core.Commands;

namespace EdgeGuard.Mqtt.Commands;

// The two queues behind the MQTT handler: accepted commands, executed one at a time in arrival
// order, and results, published in order (an answer to a refusal no longer waited for, given way or
// timed out, may still go out after later ones: CommandSubscriber.Results.cs). Both keep running
// through a stop until they are empty or CommandSubscriberOptions.DrainTimeout has passed: a
// command the broker has been told we received must be executed and answered, not dropped with the
// process.
public sealed partial class CommandSubscriber
{
    // How often an answer to a refusal waiting for room looks whether reading is held meanwhile.
    private static readonly TimeSpan RefusalLook = TimeSpan.FromMilliseconds(20);

    private async Task ExecuteLoopAsync(CancellationToken drainDeadline)
    {
        await foreach (var accepted in _accepted.Reader.ReadAllAsync(drainDeadline).ConfigureAwait(false))
        {
            var id = accepted.Command.Command.Id;
            // Cancelled only at the drain deadline; the handler then leaves the command unfinished.
            var outcome = await _handler.ExecuteAsync(accepted.Command, drainDeadline).ConfigureAwait(false);
            var reply = new Reply(id, outcome.Result, Noted(outcome.Reason, accepted.CorrelationDropped), accepted.Correlation, accepted.PayloadSha256);
            await QueueAnswerAsync(reply, drainDeadline, drainDeadline).ConfigureAwait(false);
        }
    }

    // Answers of accepted commands first, then answers to refusals, each lane in order. Waits for
    // either lane without piling a waiter up per answer: a wait that did not end is kept.
    private async Task ReplyLoopAsync(CancellationToken drainDeadline)
    {
        Task<bool>? answers = null;
        Task<bool>? refusals = null;
        while (true)
        {
            if (_answers.Reader.TryRead(out var answer))
            {
                await PublishAsync(answer, drainDeadline, untilWritten: true).ConfigureAwait(false);
                continue;
            }

            if (_replies.Reader.TryRead(out var refusal))
            {
                await PublishRefusalAsync(refusal, drainDeadline).ConfigureAwait(false);
                continue;
            }

            // Both completed (DrainAsync) and empty: done. A lane completed is no longer waited on.
            var answersOpen = !_answers.Reader.Completion.IsCompleted;
            var refusalsOpen = !_replies.Reader.Completion.IsCompleted;
            if (!answersOpen && !refusalsOpen)
            {
                return;
            }

            answers = answersOpen && answers is not { IsCompleted: false } ? _answers.Reader.WaitToReadAsync(drainDeadline).AsTask() : answers;
            refusals = refusalsOpen && refusals is not { IsCompleted: false } ? _replies.Reader.WaitToReadAsync(drainDeadline).AsTask() : refusals;
            await Task.WhenAny(Open(answers, answersOpen), Open(refusals, refusalsOpen)).ConfigureAwait(false);
            drainDeadline.ThrowIfCancellationRequested();
        }

        static Task Open(Task<bool>? wait, bool open) => open && wait is not null ? wait : Task.Delay(Timeout.Infinite, CancellationToken.None);
    }

    // An answer to a refusal. During a flood episode it gives way to an answer of an accepted
    // command queued meanwhile (AnswerQueued): while reading is held it would wait a whole
    // timeout for a PUBACK that cannot be read, and the office's answer behind it.
    private async Task PublishRefusalAsync(Reply refusal, CancellationToken drainDeadline)
    {
        using var shed = new CancellationTokenSource();
        Volatile.Write(ref _refusalInFlight, shed);
        try
        {
            // An answer queued before the line above found nothing to shed.
            if (_answers.Reader.Count > 0 && FloodEpisodeOpen)
            {
                await shed.CancelAsync().ConfigureAwait(false);
            }

            await PublishAsync(refusal, drainDeadline, shed.Token).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.CompareExchange(ref _refusalInFlight, null, shed);
        }
    }

    // An answer of an accepted command: its lane has no bound, so this never waits (see the
    // constructor).
    private async ValueTask QueueAnswerAsync(Reply reply, CancellationToken stoppingToken, CancellationToken waits)
    {
        await WriteAsync(_answers.Writer, reply, stoppingToken, waits).ConfigureAwait(false);
        if (FloodEpisodeOpen && Volatile.Read(ref _refusalInFlight) is { } inFlight)
        {
            try
            {
                await inFlight.CancelAsync().ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                // That publish ended meanwhile.
            }
        }
    }

    // Queues without waiting while there is room, even once the connection is going (see
    // OnMessageAsync); waits, until either token ends it, only when the queue is full. Never once
    // stopping: a message not queued by then is left unacknowledged and comes again.
    private static async ValueTask WriteAsync<T>(ChannelWriter<T> writer, T item, CancellationToken stoppingToken, CancellationToken waits)
    {
        stoppingToken.ThrowIfCancellationRequested();
        if (!writer.TryWrite(item))
        {
            await writer.WriteAsync(item, waits).ConfigureAwait(false);
        }
    }

    // The answer to a refusal. While reading is held for a flood, the queued answers wait for
    // PUBACKs behind what is not read, so one that finds the queue full is not published: waiting
    // would stall the flood's handling (CommandSubscriber.Flood.cs). The refusal itself is
    // journaled or counted (RejectionAudit). Otherwise it waits for room, as any answer does,
    // looking again every few milliseconds in case reading is held meanwhile, or MQTTnet is ending
    // the connection (EndingUnnoticed).
    private async ValueTask QueueRefusalAsync(Reply reply, CancellationToken stoppingToken, CancellationToken waits, Connection connection)
    {
        while (true)
        {
            stoppingToken.ThrowIfCancellationRequested();
            if (_replies.Writer.TryWrite(reply))
            {
                return;
            }

            if (EndingUnnoticed(connection))
            {
                // Cancelled with the connection: left unacknowledged, as any message then.
                waits.ThrowIfCancellationRequested();
            }

            if (connection.Backlog.Held)
            {
                Interlocked.Increment(ref _dropped);
                return;
            }

            using var look = CancellationTokenSource.CreateLinkedTokenSource(waits);
            look.CancelAfter(RefusalLook);
            try
            {
                await _replies.Writer.WaitToWriteAsync(look.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!waits.IsCancellationRequested)
            {
                // Look again.
            }
        }
    }

    /// <summary>Once, at stop: no new commands, then the queued ones executed and every result published, within the deadline.</summary>
    private Task DrainAsync() => _drain ??= DrainCoreAsync();

    private async Task DrainCoreAsync()
    {
        _drainDeadline.CancelAfter(_options.DrainTimeout);
        try
        {
            // The message being handled, if any, is cancelled by the stopping token and left
            // unacknowledged; later ones are not handled at all (OnMessageAsync). Held for good:
            // none may be queued after the writer is completed.
            await _receiveGate.WaitAsync(_drainDeadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Past the deadline: what is queued stays unfinished.
        }

        _accepted.Writer.TryComplete();
        await Quietly(_executeLoop).ConfigureAwait(false);
        _answers.Writer.TryComplete();
        _replies.Writer.TryComplete();
        await Quietly(_replyLoop).ConfigureAwait(false);

        // Cut off by the deadline: acknowledged, so the broker will not offer them again, but left
        // unfinished in the replay store, so the office's resend of the same payload (it was told
        // "accepted" and never "done") is executed rather than refused as a replay.
        var left = 0;
        while (_accepted.Reader.TryRead(out var abandoned))
        {
            _handler.Abandon(abandoned.Command);
            left++;
        }

        // Answers still queued at the deadline (the one being published is counted by
        // PublishAsync).
        var unanswered = 0;
        while (_answers.Reader.TryRead(out _) || _replies.Reader.TryRead(out _))
        {
            unanswered++;
        }

        if (unanswered > 0)
        {
            Interlocked.Add(ref _dropped, unanswered);
            LogAnswersLeft(unanswered, _options.DrainTimeout.TotalSeconds);
        }

        if (left > 0 || _drainDeadline.IsCancellationRequested)
        {
            LogDrainCutShort(left, _options.DrainTimeout.TotalSeconds);
        }
    }

    // An answer to publish, and the payload hash it is about
    // (docs/schemas/command-result.schema.json).
    private sealed record Reply(string CommandId, CommandResultKind Result, string? Reason, byte[]? Correlation, string PayloadSha256);

    // CorrelationDropped: the size of the correlation data not echoed (above MaxCorrelationBytes),
    // or 0.
    private sealed record Accepted(VerifiedCommand Command, byte[]? Correlation, string PayloadSha256, int CorrelationDropped);
}
