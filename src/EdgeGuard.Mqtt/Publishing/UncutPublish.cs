using MQTTnet;

namespace EdgeGuard.Mqtt.Publishing;

/// <summary>
/// A PUBLISH that only the connection's end stops. MQTTnet 5.2 passes a publish's token on to the
/// socket write, and a write cancelled part-way (the socket's buffer full, or between the header
/// and the payload) leaves the rest of the packet unsent: the broker then reads the next packet
/// as that rest and closes the connection ("Bad socket read/write"), and a PUBLISH written in
/// between is lost with it (an office's "accepted" answer was, under a flood). So a caller bounds
/// its wait (<c>WaitAsync</c>) instead of cancelling the publish; one no longer waited for still
/// goes out when the socket takes it, or fails with the connection.
/// </summary>
internal static class UncutPublish
{
    /// <summary>Starts the publish with no token; a fault of one no longer waited for is observed here.</summary>
    public static Task<MqttClientPublishResult> Start(IMqttClient client, MqttApplicationMessage message)
    {
        var publish = client.PublishAsync(message, CancellationToken.None);
        InFlightWindow.Observe(publish);
        return publish;
    }
}
