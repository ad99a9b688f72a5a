using EdgeGuard.Core;
using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;
using Microsoft.Extensions.Logging;

namespace EdgeGuard.Mqtt.Commands;

// fault.clock: a gateway whose clock is wrong refuses every authentic command for its times, which
// the command.rejected warnings alone never said. One fault per episode (CommandClockWatch).
public sealed partial class CommandHandler
{
    /// <summary>Whether a <c>fault.clock</c> is open (raised, not yet restored) in this process.</summary>
    public bool ClockFaultOpen
    {
        get
        {
            lock (_gate)
            {
                return _clock.Open;
            }
        }
    }

    // The gateway's clock when the current command connection began to connect; null before the first.
    private DateTimeOffset? _connectedAt;

    /// <summary>
    /// Notes that the command connection is being (re)established: from here on the broker hands
    /// over what it queued for the gateway's session while it was away.
    /// </summary>
    public void CommandConnectionStarting()
    {
        lock (_gate)
        {
            _connectedAt = _time.GetUtcNow();
        }
    }

    // The clock event the verdict starts or ends, if any; under _gate. An authentic command refused
    // as expired whose signed issued_at is before the current connection began could not have been
    // received in time: it was issued while the gateway was away (a power cut, a link down) and the
    // broker queued it for the persistent session. Its expiry says nothing about the gateway's clock,
    // so it is refused, answered and audited as expired (the detail says it expired while queued)
    // but neither raises fault.clock, nor counts in an open episode, nor ends one. Everything else
    // counts as before: a command issued in the future, or one issued after the connection came up
    // and expired all the same. Only the verifier's Clock is believed, which it sets only for an
    // authentic command addressed here, so a forged one cannot raise nor suppress the fault.
    // The trade-off: _connectedAt is by the gateway's clock, issued_at by the office's. A gateway
    // clock fast by X puts the connect X late, so commands issued in the X after a connect are taken
    // for queued ones and the fault comes up to X later (every reconnect starts that again). A clock
    // behind cannot hide: commands look issued in the future, which always count.
    private DomainEvent? ObserveClock(ref CommandVerdict verdict, DateTimeOffset now)
    {
        if (verdict is { Rejection: CommandRejection.Expired, Clock: { } clock }
            && _connectedAt is { } connected && clock.IssuedAt < connected)
        {
            verdict = verdict with
            {
                Detail = $"{verdict.Detail}; it expired while queued for the gateway (issued before the command "
                    + $"connection came up at {WireTime.Format(connected)})",
            };
            return null;
        }

        return _clock.Observe(verdict, now);
    }

    // queueOnly: for a lockdown, whose own record's flush follows within its deadline and covers
    // this one (queued before it); waiting the journal's full bound here kept a lockdown from the
    // controller for up to 5 s during a card stall.
    private async Task JournalClockAsync(DomainEvent clockEvent, bool queueOnly, CancellationToken cancellationToken)
    {
        if (clockEvent is ClockFault fault)
        {
            LogClockFault(fault.Reason);
        }
        else if (clockEvent is ClockRestored restored)
        {
            LogClockRestored(restored.Refused);
        }

        try
        {
            if (queueOnly)
            {
                _journal.Enqueue(clockEvent);
            }
            else
            {
                await _journal.RecordAsync(clockEvent, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Not journaled: taken back, so the next such command tries again. A stop's
            // cancellation is the command's own record's to report; it follows at once.
            LogClockNotJournaled(clockEvent.Type, ex);
            lock (_gate)
            {
                _clock.Unreported(clockEvent);
            }
        }
    }

    [LoggerMessage(EventId = 385, Level = LogLevel.Critical, Message = "Office commands refused for their times: {Reason}")]
    private partial void LogClockFault(string reason);

    [LoggerMessage(EventId = 386, Level = LogLevel.Information, Message = "An office command verified within the clock skew again, after {Refused} refused for their times")]
    private partial void LogClockRestored(int refused);

    [LoggerMessage(EventId = 387, Level = LogLevel.Error, Message = "{Type} could not be journaled; raised again by the next such command")]
    private partial void LogClockNotJournaled(string type, Exception exception);
}
