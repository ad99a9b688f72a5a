using Microsoft.Extensions.Logging;

namespace EdgeGuard.Mqtt.Commands;

// Source-generated log messages of the command handler (event ids 330-338, 341, 360-361; 354-356 in .Clock, 364-366 in .Unrecorded).
public sealed partial class CommandHandler
{
    [LoggerMessage(EventId = 330, Level = LogLevel.Information, Message = "Command accepted: {Command} (role {Role})")]
    private partial void LogAccepted(string command, string role);

    [LoggerMessage(EventId = 331, Level = LogLevel.Warning, Message = "Command '{Id}' rejected: {Reason}")]
    private partial void LogRejected(string id, string reason);

    [LoggerMessage(EventId = 332, Level = LogLevel.Error, Message = "Command '{Id}' could not be journaled")]
    private partial void LogJournalFailed(string id, Exception exception);

    [LoggerMessage(EventId = 333, Level = LogLevel.Error, Message = "Command refused because the replay store failed")]
    private partial void LogVerifyFailed(Exception exception);

    [LoggerMessage(EventId = 334, Level = LogLevel.Error, Message = "Command '{Id}' failed in the controller")]
    private partial void LogExecuteFailed(string id, Exception exception);

    [LoggerMessage(EventId = 335, Level = LogLevel.Information, Message = "Command '{Id}' arrived again (a redelivery or a verbatim copy); answered '{Result}' again, not acted on twice")]
    private partial void LogRepeated(string id, string result);

    [LoggerMessage(EventId = 336, Level = LogLevel.Warning, Message = "Command '{Id}' was recorded but never executed (a stop or crash came first); executing its redelivery")]
    private partial void LogResumed(string id);

    [LoggerMessage(EventId = 337, Level = LogLevel.Error, Message = "The final result of command '{Id}' could not be stored; a redelivery after a restart is answered 'interrupted'")]
    private partial void LogFinishFailed(string id, Exception exception);

    [LoggerMessage(EventId = 341, Level = LogLevel.Error, Message = "The refusal of command '{Id}' could not be stored; this process answers a copy with it, but after a restart a copy still valid would be executed")]
    private partial void LogRefusalNotStored(string id, Exception exception);

    [LoggerMessage(EventId = 338, Level = LogLevel.Error, Message = "Command '{Id}' was not executed: the replay store could not mark it started, so it could run twice")]
    private partial void LogStartFailed(string id, Exception exception);

    [LoggerMessage(EventId = 360, Level = LogLevel.Warning, Message = "Command '{Id}' not executed: {Detail}")]
    private partial void LogNotExecuted(string id, string detail);

    [LoggerMessage(EventId = 361, Level = LogLevel.Warning, Message = "Command '{Id}' arrived {Copies} more times (a flood of verbatim copies); answered each, journaled as one summary")]
    private partial void LogRepeatsSummed(string id, int copies);
}
