namespace EdgeGuard.Testing;

/// <summary>Extra configuration of a test broker (TLS, ACL).</summary>
public sealed class MosquittoSettings
{
    /// <summary>PEM of the CA that issued client certificates; setting it turns the listener into mTLS.</summary>
    public string? CaFile { get; init; }

    /// <summary>Broker certificate PEM.</summary>
    public string? CertFile { get; init; }

    /// <summary>Broker key PEM.</summary>
    public string? KeyFile { get; init; }

    /// <summary>ACL file contents, when access control is under test.</summary>
    public string? Acl { get; init; }

    /// <summary>
    /// Mosquitto's <c>message_size_limit</c> in bytes: a larger PUBLISH is refused, alone (an MQTT 5
    /// client gets PUBACK 149, packet too large), while the messages around it are accepted.
    /// </summary>
    public int? MessageSizeLimit { get; init; }

    /// <summary>
    /// Mosquitto's <c>max_packet_size</c> in bytes, announced to MQTT 5 clients in the CONNACK; a
    /// client that sends a larger packet is disconnected (DISCONNECT 149).
    /// </summary>
    public int? MaxPacketSize { get; init; }

    /// <summary>
    /// Mosquitto's <c>max_inflight_messages</c>: announced to MQTT 5 clients in the CONNACK as the
    /// Receive Maximum, the QoS 1 and 2 PUBLISHes a client may have unacknowledged.
    /// </summary>
    public int? MaxInflightMessages { get; init; }

    /// <summary>
    /// Mosquitto's <c>max_qos</c>: a subscription asking for more is granted this QoS (SUBACK), and
    /// it is announced to MQTT 5 clients in the CONNACK.
    /// </summary>
    public int? MaxQos { get; init; }

    /// <summary>
    /// Users and their passwords: anonymous clients are refused, these log in (a <c>password_file</c>).
    /// Not with <see cref="CaFile"/>; ignored, like the others, under <see cref="Config"/>.
    /// </summary>
    public IReadOnlyDictionary<string, string>? Passwords { get; init; }

    /// <summary>
    /// The whole mosquitto.conf instead of the generated one, made from the broker's loopback port
    /// and its temp directory (for persistence and the log, <c>mosquitto.log</c> there); used to
    /// run a shipped config file. The other settings are ignored then.
    /// </summary>
    public Func<int, string, string>? Config { get; init; }
}
