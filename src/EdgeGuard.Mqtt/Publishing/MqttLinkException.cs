namespace EdgeGuard.Mqtt.Publishing;

/// <summary>The connection to the broker is unusable (no PUBACK in time, client dropped); reconnect.</summary>
public sealed class MqttLinkException : Exception
{
    /// <summary>Creates the exception with a default message.</summary>
    public MqttLinkException()
        : base("The MQTT link is down.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public MqttLinkException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public MqttLinkException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
