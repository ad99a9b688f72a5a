using System.Net;
using MQTTnet.Server;

namespace EdgeGuard.Mqtt.Tests.Infrastructure;

/// <summary>
/// MQTTnet's own broker on a loopback port, for what Mosquitto 2.0 cannot do on cue: close a
/// client with a chosen reason code (142, session taken over), refuse one subscription or one
/// publish while letting a will through.
/// </summary>
internal static class InProcessBroker
{
    /// <summary>Starts a broker on <paramref name="port"/> (loopback only).</summary>
    /// <param name="port">A free port (<see cref="MosquittoBroker.FreePort"/>).</param>
    /// <param name="persistentSessions">Keep sessions of clients that connect without clean start.</param>
    /// <param name="onSubscribe">Sees every SUBSCRIBE first, and may refuse it.</param>
    /// <param name="onPublish">Sees every PUBLISH (a will too) first, and may refuse it.</param>
    public static async Task<MqttServer> StartAsync(int port, bool persistentSessions = false,
        Action<InterceptingSubscriptionEventArgs>? onSubscribe = null, Action<InterceptingPublishEventArgs>? onPublish = null)
    {
        var broker = new MqttServerFactory().CreateMqttServer(new MqttServerOptionsBuilder()
            .WithDefaultEndpoint().WithDefaultEndpointBoundIPAddress(IPAddress.Loopback).WithDefaultEndpointPort(port)
            .WithPersistentSessions(persistentSessions).Build());
        if (onSubscribe is not null)
        {
            broker.InterceptingSubscriptionAsync += args =>
            {
                onSubscribe(args);
                return Task.CompletedTask;
            };
        }

        if (onPublish is not null)
        {
            broker.InterceptingPublishAsync += args =>
            {
                onPublish(args);
                return Task.CompletedTask;
            };
        }

        await broker.StartAsync();
        return broker;
    }
}
