using System.Globalization;
using System.Text;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Formatter.V5;

namespace EdgeGuard.Mqtt.Publishing;

/// <summary>
/// The Maximum Packet Size a broker announces in its CONNACK (MQTT 5, 3.2.2.3.6), which a client
/// must not exceed [MQTT-3.2.2-15]. Mosquitto's <c>max_packet_size</c> answers a larger packet with
/// DISCONNECT 149 and a closed socket, which often resets before the client has read the
/// DISCONNECT: an event over the limit would cut off every connection that replays it, with no
/// reason given. Checked before the PUBLISH instead, and answered as the broker would answer it
/// with <c>message_size_limit</c>: PUBACK 149, packet too large, so the refusal path retries the
/// event alone and raises one <c>fault.delivery</c>.
/// </summary>
/// <param name="maximum">The CONNACK's Maximum Packet Size; 0 when the broker announced none.</param>
internal sealed class PacketSizeLimit(uint maximum)
{
    // Over the payload and topic: fixed header (up to 5 bytes), topic length (2), packet id (2) and
    // the properties an event or state message carries (content type, payload format indicator,
    // the seq user property): under 100 bytes. Only a message within this of the limit is encoded.
    private const int Headroom = 256;

    // MQTT 5 reason code 149. Not among MQTTnet's PUBACK codes, but what Mosquitto sends in a
    // PUBACK for a message over its message_size_limit.
    private const MqttClientPublishReasonCode PacketTooLarge = (MqttClientPublishReasonCode)149;

    private readonly MqttV5PacketEncoder? _encoder = maximum == 0 ? null : new(new MqttBufferWriter(4096, 65536));

    /// <summary>
    /// The broker's answer to <paramref name="message"/> if it fits within the limit: null, so it is
    /// sent; otherwise a completed PUBACK 149 that names the limit, and it is not sent.
    /// </summary>
    public Task<MqttClientPublishResult>? RefuseIfTooLarge(MqttApplicationMessage message)
    {
        if (_encoder is null || message.Payload.Length + Encoding.UTF8.GetMaxByteCount(message.Topic.Length) + Headroom <= maximum)
        {
            return null;
        }

        var packet = MqttPublishPacketFactory.Create(message);
        packet.PacketIdentifier = 1; // a QoS 1 PUBLISH is encoded with one; its value does not change the size
        if (_encoder.Encode(packet).Length <= maximum)
        {
            return null;
        }

        // Without the size: it changes by a byte once the retry is marked replayed, and a new reason
        // would report the refusal again.
        var reason = string.Create(CultureInfo.InvariantCulture, $"larger than the maximum packet size of {maximum} bytes the broker announced (CONNACK); not sent");
        return Task.FromResult(new MqttClientPublishResult(null, PacketTooLarge, reason, []));
    }
}
