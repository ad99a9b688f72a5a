using EdgeGuard.Mqtt.Publishing;

namespace EdgeGuard.Mqtt.Commands;

/// <summary>Settings of the <see cref="CommandSubscriber"/>'s own broker connection.</summary>
public sealed record CommandSubscriberOptions
{
    /// <summary>Broker, identity, TLS and timers: the publisher's, so both connections reach the same broker the same way.</summary>
    public required MqttPublisherOptions Broker { get; init; }

    /// <summary>
    /// How long the broker keeps the subscription and queued QoS 1 commands while the gateway is
    /// away. A command is never valid longer than the verifier's maximum lifetime (15 min by
    /// default), so keeping it longer would only queue commands that are refused as expired.
    /// </summary>
    public TimeSpan SessionExpiry { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// MQTT 5 Maximum Packet Size announced at CONNECT: the broker drops larger messages instead of
    /// making the gateway receive them. Far above the verifier's payload cap, so a payload too large
    /// to be a command still arrives and is answered <c>oversized</c>; only absurd ones are dropped unanswered.
    /// </summary>
    public int MaxPacketBytes { get; init; } = 256 * 1024;

    /// <summary>
    /// MQTT 5 Receive Maximum announced at CONNECT: how many commands the broker may send before
    /// the gateway acknowledges them. Commands are verified, journaled and acknowledged one at a
    /// time, so more in flight only buffers them here (up to 65,535 without it) while each waits
    /// longer for its answer; a small window keeps the rest queued on the broker, where the
    /// persistent session and the message expiry look after them.
    /// </summary>
    public int ReceiveMaximum { get; init; } = 16;

    /// <summary>
    /// How long a stop may spend executing the commands already accepted (and acknowledged) and
    /// publishing their results before the connection closes. Well inside the host's shutdown
    /// timeout (18 s), since the controller must still be running to execute them. Whatever is left
    /// stays unfinished in the replay store, so its redelivery runs at the next start.
    /// </summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How many messages may wait to be handled (read off the socket, not yet verified and
    /// journaled) before reading is held until half of them are (CommandSubscriber.Flood.cs):
    /// MQTTnet reads them into a queue without a bound, which Receive Maximum does not cap in
    /// practice. Far above a real office's burst (the fuzz test's 10,000 stay under it).
    /// </summary>
    public int MaxBacklog { get; init; } = 16_384;

    /// <summary>The same, in bytes of the waiting PUBLISH packets: 64 messages of <see cref="MaxPacketBytes"/>.</summary>
    public long MaxBacklogBytes { get; init; } = 16L * 1024 * 1024;

    /// <summary>
    /// How often, while lockdowns carried out without the replay store's record are held in memory
    /// (an SD card stall), the subscriber tries to hand them to the store: one bounded store wait
    /// each time. Without it they waited for the next office command the store answered, and a
    /// power cut in between let a valid copy lock the site again after the all-clear.
    /// </summary>
    public TimeSpan HandOverInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Results waiting to be published; a full queue holds back acknowledging new commands.</summary>
    public int QueueCapacity { get; init; } = 256;

    /// <summary>The subscriber's client id: <see cref="MqttPublisherOptions.CommandsClientId"/>, never the publisher's.</summary>
    public string ClientId => Broker.CommandsClientId;
}
