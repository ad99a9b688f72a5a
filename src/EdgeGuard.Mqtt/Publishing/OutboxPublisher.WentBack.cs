using System.Globalization;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Mqtt.Contract;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Packets;

namespace EdgeGuard.Mqtt.Publishing;

/// <summary>
/// The session counter: taken once at start, and raised above the broker's when the journal
/// went back. A gateway whose SD card or journal was restored from an older copy
/// takes a session below the one the office last saw (the broker still holds that process's
/// availability, session 100, while the restored journal counts 50), and would birth with it: the
/// contract says the session never decreases, and an office that ignores wills of earlier
/// sessions would ignore every will of this gateway until it had restarted 50 times. So before
/// its first birth the publisher reads the retained availability (delivered at the subscription
/// of the availability watch, OutboxPublisher.LateWill.cs): a session above its own, or an
/// orderly offline whose <c>lastSeq</c> is above its last seq, is journaled as
/// <c>fault.journal-went-back</c>, and a session above the broker's is taken (saved in the
/// journal) and the connection made again, so the will carries it too. Only before the first
/// birth of a process: later the topic holds this process's own messages, or, with two boxes on
/// one id, the other's, and raising at every reconnect would make the two leapfrog each other's
/// sessions (that case is <c>fault.duplicate-gateway</c>'s: OutboxPublisher.Duplicate.cs).
/// </summary>
public sealed partial class OutboxPublisher
{
    // The retained availability the watch's subscription delivered, completed with null when the
    // topic held none (or the broker would not say); one per connection.
    private TaskCompletionSource<RetainedAvailability?>? _retained;

    // Whether a birth of this process was accepted (its PUBACK): from then on the topic is no
    // evidence of a journal that went back, and another instance on it is (OutboxPublisher.Duplicate.cs).
    private int _born;

    /// <summary>What the broker's retained availability said before the birth.</summary>
    private readonly record struct RetainedAvailability(string Payload, long Session, long? LastSeq, string? Instance);

    // Called by the watch's handler with a retained message (the subscription's copy).
    private void OnRetainedAvailability(MqttApplicationMessage message)
    {
        if (SessionOf(message) is { } session)
        {
            Volatile.Read(ref _retained)?.TrySetResult(new RetainedAvailability(
                message.ConvertPayloadToString() ?? string.Empty, session, LongProperty(message, LastSeqProperty),
                StringProperty(message, ClientOptionsFactory.InstanceProperty)));
        }
    }

    /// <summary>
    /// Before the first birth: the retained availability, if it shows the journal went back, is
    /// journaled and a session above it taken. Returns the session to connect with again, or null
    /// to go on with this connection. Never throws: without the evidence the birth goes ahead.
    /// </summary>
    private async Task<long?> CheckWentBackAsync(IMqttClient client, long session, CancellationToken cancellationToken)
    {
        var retained = Volatile.Read(ref _retained);
        if (Volatile.Read(ref _born) != 0 || retained is null)
        {
            return null;
        }

        try
        {
            // The broker sends the retained copy right after the SUBACK; a ping's answer comes
            // after it on the wire, and a short grace covers MQTTnet handing it on from its own
            // queue. That grace is thread scheduling, not the gateway's time: on the real clock,
            // or a test's fake clock that never moves would hold every first birth.
            await client.PingAsync(cancellationToken).WaitAsync(_options.Timeout, _time, cancellationToken).ConfigureAwait(false);
            await ((Task)retained.Task.WaitAsync(RetainedGrace, TimeProvider.System, cancellationToken)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return null; // cancelled with the connection, or the link failed: the pump finds that
        }

        if (!retained.Task.IsCompletedSuccessfully || retained.Task.Result is not { } seen)
        {
            return null;
        }

        var lastSeq = _outbox.LastSeq;
        // An equal session of another process went back too: a journal restored one start behind,
        // or a read-only one, repeats its predecessor's session. Taken above it, every earlier
        // process's message has a lower session than this one's, so none can later pass for a
        // clone (OutboxPublisher.Duplicate.cs); without an instance it is no process of this build.
        var sessionAhead = seen.Session > session
            || (seen.Session == session && !string.Equals(seen.Instance, _options.Instance, StringComparison.Ordinal));
        var seqAhead = seen.LastSeq is { } brokerLastSeq && brokerLastSeq > lastSeq;
        if (!sessionAhead && !seqAhead)
        {
            return null;
        }

        var raised = sessionAhead ? RaiseSession(seen.Session) : session;
        LogWentBack(seen.Payload, seen.Session, seen.LastSeq ?? 0, session, lastSeq, raised);
        if (seqAhead)
        {
            SkipSeqs(seen.LastSeq!.Value); // before the fault: its journal.gap goes out ahead of it
        }

        _takeovers.Publish([new JournalWentBack(_time.GetUtcNow(), session, seen.Session, raised, lastSeq, seen.LastSeq)]);
        return raised == session ? null : raised;
    }

    /// <summary>
    /// The persisted session counter's next value, retried with backoff while it cannot be written
    /// (a busy, full or read-only journal database); null once stopping. Never throws: a failure of
    /// this bookkeeping must not stop the host, which also drives the locks. Events journaled
    /// meanwhile wait in the outbox and are delivered once the counter moves.
    /// </summary>
    private async Task<long?> TakeSessionAsync(CancellationToken stoppingToken)
    {
        for (var failures = 0; ; failures++)
        {
            try
            {
                return _nextSession();
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                var delay = ReconnectBackoff.Delay(failures, _options.ReconnectDelayMin, _options.ReconnectDelayMax, Random.Shared.NextDouble());
                LogSessionFailed(LossText.Chain(ex), delay.TotalMilliseconds);
                try
                {
                    await Task.Delay(delay, _time, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return null;
                }
            }
        }
    }

    // A session above the broker's, saved by the journal when it can be (sessionAbove), else for
    // this process only.
    private long RaiseSession(long floor)
    {
        long raised;
        try
        {
            raised = _sessionAbove is { } above ? above(floor) : floor + 1;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogSessionFailed(LossText.Chain(ex), 0);
            raised = floor + 1; // unsaved: the next start may repeat it, still better than below
        }

        Interlocked.Exchange(ref _sessionNumber, raised);
        return raised;
    }

    // Seqs above the broker's last: the events after the fault do not repeat seqs the office saw.
    private void SkipSeqs(long through)
    {
        try
        {
            _skipSeqsThrough?.Invoke(through);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogSessionFailed(LossText.Chain(ex), 0); // the fault still says how far seqs may repeat
        }
    }

    // A user property's non-negative number (the first property of that name); null when absent
    // or not a number.
    private static long? LongProperty(MqttApplicationMessage message, string name) =>
        long.TryParse(StringProperty(message, name), NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : null;

    // How long after the ping's answer a retained copy may still be on its way through MQTTnet.
    private static readonly TimeSpan RetainedGrace = TimeSpan.FromMilliseconds(250);

    [LoggerMessage(EventId = 388, Level = LogLevel.Critical, Message = "The broker's retained availability ('{Payload}', session {BrokerSession}, lastSeq {BrokerLastSeq}) is ahead of this gateway's journal (session {Session}, last seq {LastSeq}): the journal went back (restored from an older copy) or another box has this gateway's id; taking session {Raised}")]
    private partial void LogWentBack(string payload, long brokerSession, long brokerLastSeq, long session, long lastSeq, long raised);
}
