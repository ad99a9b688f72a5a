using EdgeGuard.Configuration;
using EdgeGuard.Mqtt.Publishing;
using Microsoft.Extensions.Logging;

namespace EdgeGuard.Hosting;

/// <summary>
/// The broker settings both of the gateway's connections use, built once: the mqtt section mapped,
/// and the client ids derived from the gateway's secret (<see cref="ClientIds.Resolve"/>), whose key
/// file or password is read here, at start, and never logged. The ids are: they are of no use without a
/// broker credential, and the broker's own log shows them anyway.
/// </summary>
internal static partial class BrokerOptions
{
    /// <summary>The options of the publisher and the command subscriber.</summary>
    public static MqttPublisherOptions Build(GatewayConfig config, bool embedded, ILogger log)
    {
        var options = ClientIds.Resolve(Map(config, embedded), out var problem);
        if (problem is not null)
        {
            LogRandomClientIds(log, problem);
        }

        LogClientIds(log, options.ClientId, options.CommandsClientId);
        return options;
    }

    /// <summary>Maps the gateway's mqtt section to the publisher's options.</summary>
    private static MqttPublisherOptions Map(GatewayConfig config, bool embedded) => new()
    {
        Site = config.Site.SiteId,
        Gateway = config.Site.GatewayId,
        Host = embedded ? "127.0.0.1" : config.Mqtt.Host!,
        Port = config.Mqtt.Port,
        KeepAlive = TimeSpan.FromSeconds(config.Mqtt.KeepAliveSeconds),
        Username = config.Mqtt.Username,
        Password = config.Mqtt.Password,
        Tls = TlsOf(config, embedded),
    };

    /// <summary>The TLS the link uses: none to the embedded broker, else the mqtt.tls section (none when absent).</summary>
    public static MqttTlsOptions TlsOf(GatewayConfig config, bool embedded) =>
        embedded ? MqttTlsOptions.Disabled : config.Mqtt.Tls ?? MqttTlsOptions.Disabled;

    [LoggerMessage(EventId = 510, Level = LogLevel.Information, Message = "MQTT client ids: {Publisher} (events), {Commands} (commands)")]
    private static partial void LogClientIds(ILogger log, string publisher, string commands);

    [LoggerMessage(EventId = 511, Level = LogLevel.Warning, Message = "{Problem}")]
    private static partial void LogRandomClientIds(ILogger log, string problem);
}
