using Microsoft.Extensions.Logging;

namespace EdgeGuard.Mqtt.Commands;

// Source-generated log messages of the command subscriber (event ids 320-329, 339, 370-373).
public sealed partial class CommandSubscriber
{
    [LoggerMessage(EventId = 320, Level = LogLevel.Information, Message = "Subscribed to {Topic} as {ClientId}")]
    private partial void LogSubscribed(string topic, string clientId);

    [LoggerMessage(EventId = 321, Level = LogLevel.Error, Message = "The broker refused the subscription to {Topic} ({Code}): the office cannot command this gateway; check the broker's ACL")]
    private partial void LogSubscribeRefused(string topic, string code);

    [LoggerMessage(EventId = 322, Level = LogLevel.Error, Message = "The broker refused the command connection: {Reason}")]
    private partial void LogConnectRefused(string reason);

    [LoggerMessage(EventId = 323, Level = LogLevel.Warning, Message = "Command connection failed: {Reason}")]
    private partial void LogConnectFailed(string reason);

    [LoggerMessage(EventId = 324, Level = LogLevel.Warning, Message = "Command connection lost ({Reason}); reconnecting")]
    private partial void LogConnectionLost(string reason);

    [LoggerMessage(EventId = 378, Level = LogLevel.Warning, Message = "Result '{Result}' of command '{Id}' gave way to an accepted command's answer during a flood: not waited for (it may still be published)")]
    private partial void LogResultGivenWay(string id, string result);

    [LoggerMessage(EventId = 325, Level = LogLevel.Warning, Message = "Result '{Result}' of command '{Id}' was not published: {Reason}")]
    private partial void LogResultDropped(string id, string result, string reason);

    [LoggerMessage(EventId = 374, Level = LogLevel.Warning, Message = "Result '{Result}' of command '{Id}' was written but its PUBACK did not come within {Seconds} s; not sent again (the broker most likely has it)")]
    private partial void LogResultUnconfirmed(string id, string result, double seconds);

    [LoggerMessage(EventId = 375, Level = LogLevel.Warning, Message = "Result '{Result}' of command '{Id}' could not be written within {Seconds} s on a live connection (the broker reads behind); trying again, as long")]
    private partial void LogResultNotWrittenYet(string id, string result, double seconds);

    [LoggerMessage(EventId = 376, Level = LogLevel.Warning, Message = "{Count} queued answer(s) not published by the stop's {Seconds} s drain deadline")]
    private partial void LogAnswersLeft(int count, double seconds);

    [LoggerMessage(EventId = 377, Level = LogLevel.Warning, Message = "An answer could not be written for {Timeouts} timeouts: none is tried for {Seconds} s, so the keep-alive can find out whether the link is dead")]
    private partial void LogResultQuiet(int timeouts, double seconds);

    [LoggerMessage(EventId = 326, Level = LogLevel.Information, Message = "Command '{Id}' asked for results on '{Topic}'; they go to the gateway's own results topic")]
    private partial void LogForeignResponseTopic(string id, string topic);

    [LoggerMessage(EventId = 327, Level = LogLevel.Error, Message = "Handling a command message failed")]
    private partial void LogHandlerFailed(Exception exception);

    [LoggerMessage(EventId = 328, Level = LogLevel.Warning, Message = "Stopping: {Left} accepted command(s) not executed within {Seconds} s; they stay unfinished and run when redelivered")]
    private partial void LogDrainCutShort(int left, double seconds);

    [LoggerMessage(EventId = 329, Level = LogLevel.Error, Message = "The command topic is flooded ({Waiting} messages, {Bytes} bytes waiting): reading held until they are handled; answers to refused messages may not be published meanwhile")]
    private partial void LogFlooded(int waiting, long bytes);

    [LoggerMessage(EventId = 371, Level = LogLevel.Debug, Message = "The command topic is still flooded ({Waiting} messages, {Bytes} bytes waiting): reading held again")]
    private partial void LogFloodedAgain(int waiting, long bytes);

    [LoggerMessage(EventId = 372, Level = LogLevel.Warning, Message = "An earlier flood of the command topic ended after {Holds} holds of the reading")]
    private partial void LogFloodEpisodeEnded(long holds);

    [LoggerMessage(EventId = 373, Level = LogLevel.Warning, Message = "Nothing handled for {Seconds} s with {Waiting} messages ({Bytes} bytes) waiting under a flood: connection dropped with them; reconnecting")]
    private partial void LogFloodDropped(int waiting, long bytes, double seconds);

    [LoggerMessage(EventId = 370, Level = LogLevel.Warning, Message = "Command '{Id}' came with {Bytes} bytes of correlation data, more than {Limit}: answered without it, so the office cannot match the answer by it (its command id and payload hash still name it)")]
    private partial void LogCorrelationDropped(string id, int bytes, int limit);

    [LoggerMessage(EventId = 339, Level = LogLevel.Warning, Message = "The broker granted {Topic} at QoS 0 only: commands sent while the link is down, or dropped in a flood, are lost; check the broker's configuration")]
    private partial void LogGrantedQos0(string topic);
}
