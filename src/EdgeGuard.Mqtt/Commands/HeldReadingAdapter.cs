using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography.X509Certificates;
using EdgeGuard.Mqtt.Publishing;
using MQTTnet;
using MQTTnet.Adapter;
using MQTTnet.Diagnostics.Logger;
using MQTTnet.Exceptions;
using MQTTnet.Formatter;
using MQTTnet.Implementations;
using MQTTnet.Packets;

namespace EdgeGuard.Mqtt.Commands;

/// <summary>
/// Makes the command subscriber's connections: MQTTnet's own adapter (TCP or WebSocket, TLS,
/// packet inspection) inside a <see cref="HeldReadingAdapter"/>.
/// </summary>
internal sealed class HeldReadingAdapterFactory(HeldPings pings, Action gone) : IMqttClientAdapterFactory
{
    private readonly MqttClientAdapterFactory _mqttnet = new();

    /// <inheritdoc/>
    public IMqttChannelAdapter CreateClientAdapter(MqttClientOptions options, MqttPacketInspector packetInspector, IMqttNetLogger logger) =>
        new HeldReadingAdapter(_mqttnet.CreateClientAdapter(options, packetInspector, logger), pings, gone);
}

/// <summary>
/// MQTTnet's adapter for one connection, with two additions for reading held at the flood limit
/// (the packet inspection awaits inside <see cref="ReceivePacketAsync"/>): pings due an answer
/// while reading is held are answered with a PINGRESP of ours while the held read stays pending
/// for the next call, and the broker's answers to them are dropped (<see cref="HeldPings"/>); and
/// the connection's end lets the hold go (<paramref name="gone"/>), so that MQTTnet's receive loop
/// can read on and meet it: a write that fails, or <see cref="DisconnectAsync"/>, which MQTTnet
/// calls before it waits for its receive loop.
/// </summary>
internal sealed class HeldReadingAdapter(IMqttChannelAdapter inner, HeldPings pings, Action gone) : IMqttChannelAdapter
{
    // The read a ping's answer was given ahead of: MQTTnet's receive loop reads one packet at a
    // time, with one token, so the next call takes it up.
    private Task<MqttPacket>? _reading;

    /// <inheritdoc/>
    public long BytesReceived => inner.BytesReceived;

    /// <inheritdoc/>
    public long BytesSent => inner.BytesSent;

    /// <inheritdoc/>
    public X509Certificate2 ClientCertificate => inner.ClientCertificate;

    /// <inheritdoc/>
    public EndPoint RemoteEndPoint => inner.RemoteEndPoint;

    /// <inheritdoc/>
    public EndPoint LocalEndPoint => inner.LocalEndPoint;

    /// <inheritdoc/>
    public bool IsSecureConnection => inner.IsSecureConnection;

    /// <inheritdoc/>
    public MqttPacketFormatterAdapter PacketFormatterAdapter => inner.PacketFormatterAdapter;

    /// <inheritdoc/>
    public Task ConnectAsync(CancellationToken cancellationToken) => inner.ConnectAsync(cancellationToken);

    /// <inheritdoc/>
    public Task DisconnectAsync(CancellationToken cancellationToken)
    {
        gone();
        return inner.DisconnectAsync(cancellationToken);
    }

    /// <inheritdoc/>
    public async Task<MqttPacket> ReceivePacketAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var reading = _reading ??= inner.ReceivePacketAsync(cancellationToken);
            if (!reading.IsCompleted && await Task.WhenAny(reading, pings.Due).ConfigureAwait(false) != reading)
            {
                if (pings.AnswerHere())
                {
                    return MqttPingRespPacket.Instance;
                }

                continue;
            }

            _reading = null;
            var packet = await reading.ConfigureAwait(false);
            if (packet is not MqttPingRespPacket || pings.BrokerAnswered())
            {
                return packet;
            }
        }
    }

    /// <inheritdoc/>
    public void ResetStatistics() => inner.ResetStatistics();

    /// <inheritdoc/>
    public async Task SendPacketAsync(MqttPacket packet, CancellationToken cancellationToken)
    {
        var ping = packet is MqttPingReqPacket;
        if (ping)
        {
            pings.Sending();
        }

        var written = false;
        try
        {
            await inner.SendPacketAsync(packet, cancellationToken).ConfigureAwait(false);
            written = true;
        }
        catch (MqttCommunicationException ex) when (ex is not MqttCommunicationTimedOutException
            && ex.InnerException is null or SocketException or IOException or WebSocketException or ObjectDisposedException)
        {
            // The socket failed (MQTTnet wraps its errors so): the connection is going. Held,
            // MQTTnet would find out only when the backlog is worked off, as its PUBACKs and the
            // answers, failing, keep it from pinging.
            gone();
            throw;
        }
        finally
        {
            if (ping)
            {
                pings.Written(written);
            }
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        gone();
        inner.Dispose();
        // A read left pending behind a ping's answer when the receive loop ended fails with the
        // socket: observed here, as no one awaits it.
        if (Volatile.Read(ref _reading) is { } reading)
        {
            InFlightWindow.Observe(reading);
        }
    }
}
