using System.Net;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MQTTnet.Server;

namespace EdgeGuard.Mqtt.Broker;

/// <summary>
/// An in-process MQTT broker on loopback for the zero-setup quick start (<c>run --simulate</c>
/// with no broker configured). Sessions live in memory only; production gateways use the office
/// Mosquitto broker.
/// </summary>
public sealed partial class EmbeddedBroker(int port, ILogger<EmbeddedBroker> log) : IHostedService, IDisposable
{
    private MqttServer? _server;

    /// <summary>The loopback port the broker listens on.</summary>
    public int Port => port;

    /// <summary>Whether the broker is accepting connections.</summary>
    public bool IsStarted => _server?.IsStarted ?? false;

    /// <inheritdoc/>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var options = new MqttServerOptionsBuilder()
            .WithDefaultEndpoint()
            .WithDefaultEndpointBoundIPAddress(IPAddress.Loopback)
            .WithDefaultEndpointBoundIPV6Address(IPAddress.None)
            .WithDefaultEndpointPort(port)
            .Build();
        _server = new MqttServerFactory().CreateMqttServer(options);
        try
        {
            await _server.StartAsync().ConfigureAwait(false);
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            // The environment variables in the form a shell can set (the colon form cannot be typed in
            // bash), with a value, as the README writes them.
            var next = port < IPEndPoint.MaxPort ? port + 1 : 1884;
            throw new InvalidOperationException(
                $"The embedded MQTT broker cannot listen on 127.0.0.1:{port} ({ex.SocketErrorCode}). " +
                "Another broker is probably running there: publish to it with EdgeGuard__mqtt__host=127.0.0.1, " +
                $"or move the embedded one with EdgeGuard__mqtt__port={next} (environment variables; " +
                "mqtt.host and mqtt.port in the config file).", ex);
        }

        LogStarted(port);
    }

    /// <inheritdoc/>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_server is { IsStarted: true })
        {
            await _server.StopAsync().ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _server?.Dispose();

    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Embedded MQTT broker listening on 127.0.0.1:{Port} (quick start; no broker configured)")]
    private partial void LogStarted(int port);
}
