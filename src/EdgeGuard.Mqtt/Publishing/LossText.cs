using MQTTnet;

namespace EdgeGuard.Mqtt.Publishing;

/// <summary>
/// Words for why a connection or an attempt failed, for logs a technician reads: MQTTnet wraps
/// the cause (a socket reset, a refused certificate) in exceptions whose outer message alone says
/// little ("The operation has timed out", "Error while sending").
/// </summary>
internal static class LossText
{
    /// <summary>The message of the exception and of each inner one, outermost first.</summary>
    public static string Chain(Exception ex)
    {
        var text = ex.Message;
        for (var inner = ex.InnerException; inner is not null; inner = inner.InnerException)
        {
            text += " -> " + inner.Message;
        }

        return text;
    }

    /// <summary>MQTTnet's reason for a connection's end, with what it caught, if anything.</summary>
    public static string Disconnected(MqttClientDisconnectedEventArgs args) =>
        args.Exception is null ? $"disconnected: {args.Reason}" : $"disconnected: {args.Reason} ({Chain(args.Exception)})";
}
