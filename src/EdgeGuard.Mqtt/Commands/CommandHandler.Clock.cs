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

    private async Task JournalClockAsync(DomainEvent clockEvent, CancellationToken cancellationToken)
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
            await _journal.RecordAsync(clockEvent, cancellationToken).ConfigureAwait(false);
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

    [LoggerMessage(EventId = 354, Level = LogLevel.Critical, Message = "Office commands refused for their times: {Reason}")]
    private partial void LogClockFault(string reason);

    [LoggerMessage(EventId = 355, Level = LogLevel.Information, Message = "An office command verified within the clock skew again, after {Refused} refused for their times")]
    private partial void LogClockRestored(int refused);

    [LoggerMessage(EventId = 356, Level = LogLevel.Error, Message = "{Type} could not be journaled; raised again by the next such command")]
    private partial void LogClockNotJournaled(string type, Exception exception);
}
