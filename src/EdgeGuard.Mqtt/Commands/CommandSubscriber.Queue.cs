using System.Threading.Channels;
using EdgeGuard.Core.Commands;

namespace EdgeGuard.Mqtt.Commands;

// The two queues behind the MQTT handler: accepted commands, executed one at a time in arrival
// order, and results, published in order. Both keep running through a stop until they are empty or
// CommandSubscriberOptions.DrainTimeout has passed: a command the broker has been told we received
// must be executed and answered, not dropped with the process.
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
            await _replies.Writer.WriteAsync(new Reply(id, outcome.Result, Noted(outcome.Reason, accepted.CorrelationDropped), accepted.Correlation, accepted.PayloadSha256), drainDeadline).ConfigureAwait(false);
        }
    }

    private async Task ReplyLoopAsync(CancellationToken drainDeadline)
    {
        await foreach (var reply in _replies.Reader.ReadAllAsync(drainDeadline).ConfigureAwait(false))
        {
            await PublishAsync(reply, drainDeadline).ConfigureAwait(false);
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
    // looking again every few milliseconds in case reading is held meanwhile.
    private async ValueTask QueueRefusalAsync(Reply reply, CancellationToken stoppingToken, CancellationToken waits, ReceiveBacklog backlog)
    {
        while (true)
        {
            stoppingToken.ThrowIfCancellationRequested();
            if (_replies.Writer.TryWrite(reply))
            {
                return;
            }

            if (backlog.Held)
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
            // unacknowledged; later ones are not handled at all (OnMessageAsync). Held for good: none
            // may be queued after the writer is completed.
            await _receiveGate.WaitAsync(_drainDeadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Past the deadline: what is queued stays unfinished.
        }

        _accepted.Writer.TryComplete();
        await Quietly(_executeLoop).ConfigureAwait(false);
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

        if (left > 0 || _drainDeadline.IsCancellationRequested)
        {
            LogDrainCutShort(left, _options.DrainTimeout.TotalSeconds);
        }
    }

    // An answer to publish, and the payload hash it is about (docs/schemas/command-result.schema.json).
    private sealed record Reply(string CommandId, CommandResultKind Result, string? Reason, byte[]? Correlation, string PayloadSha256);

    // CorrelationDropped: the size of the correlation data not echoed (above MaxCorrelationBytes), or 0.
    private sealed record Accepted(VerifiedCommand Command, byte[]? Correlation, string PayloadSha256, int CorrelationDropped);
}
