using EdgeGuard.Core.Lockdown;
using EdgeGuard.Mqtt.Contract;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Packets;

namespace EdgeGuard.Mqtt.Publishing;

/// <summary>
/// Another running process under this gateway's id (a cloned SD card), found on the availability
/// topic. Two processes with one client id take each other's connection, and Mosquitto 2.0 says
/// nothing (no reason 142) but publishes the will of the one it closed: at each reconnect the
/// availability watch's subscription delivers the other's will, retained. No Local hides the
/// other's live messages (same client id), and a broker restart closes the link the same silent
/// way, so the closes prove nothing (the withdrawn three-closes rule); the message does, when no
/// earlier process of this gateway can have left it. That is, after this process's first birth
/// was accepted, another <c>instance</c> (or none: a gateway built before instances were) with a
/// session above this process's own. Sessions only grow (the journal saves each before use), and
/// before its birth a process takes one above any the broker held, and above an equal one of
/// another process (OutboxPublisher.WentBack.cs: a journal restored one start behind, or a
/// read-only one, repeats its predecessor's session), so every earlier process's availability (its
/// late will, or a birth a crashed broker's older persistence file brings back) has a lower one.
/// An equal session counts when it comes at two reconnects: two boxes cloned from one image can
/// take equal sessions before either saw the other, and a clone's will comes at each. In a fight
/// one of the two always has the lower or an equal session, and that one raises the alarm. A live
/// <c>online</c> of another instance (another client id: a clone with a rotated key) comes from
/// a process running now, whatever its session. Not the command connection: it does not watch
/// availability.
/// </summary>
public sealed partial class OutboxPublisher
{
    private readonly DuplicateInstances _duplicates = new();

    // Called by the availability watch's handler with every message on the topic.
    private void CheckDuplicate(MqttApplicationMessage message, long session)
    {
        // Before the first birth the retained copy may be this gateway's own earlier process;
        // the went-back check judges it then.
        if (Volatile.Read(ref _born) == 0
            || !string.Equals(message.Topic, _topics.Availability, StringComparison.Ordinal)
            || SessionOf(message) is not { } theirs)
        {
            return;
        }

        // No instance: a gateway built before instances were (a clone made from an older image).
        // Such a message is judged like another instance's, all of them as one.
        var instance = StringProperty(message, ClientOptionsFactory.InstanceProperty);
        if (instance is not null && (!ProcessInstance.IsValid(instance) || string.Equals(instance, _options.Instance, StringComparison.Ordinal)))
        {
            return;
        }

        var payload = message.ConvertPayloadToString();
        var online = string.Equals(payload, Payloads.Online, StringComparison.Ordinal);
        if (!online && !string.Equals(payload, Payloads.Offline, StringComparison.Ordinal))
        {
            return;
        }

        // An equal session once may be a copy this process has not judged: it counts at a second
        // reconnect, as a clone's will comes at each.
        var key = instance ?? string.Empty;
        var raise = theirs > session || (online && !message.Retain)
            ? _duplicates.Add(key)
            : theirs == session && _duplicates.Sighted(key, Interlocked.Read(ref _connects));
        if (!raise)
        {
            return;
        }

        LogDuplicate(instance ?? "(none)", payload!, theirs, message.Retain, _options.Instance, session);
        _takeovers.Publish([new DuplicateGateway(_time.GetUtcNow(), instance, theirs, online, _options.Instance, session)]);
    }

    // A user property's text (the first property of that name); null when absent.
    private static string? StringProperty(MqttApplicationMessage message, string name)
    {
        foreach (var property in message.UserProperties ?? [])
        {
            if (string.Equals(property.Name, name, StringComparison.Ordinal))
            {
                return property.ReadValueAsString();
            }
        }

        return null;
    }

    [LoggerMessage(EventId = 389, Level = LogLevel.Critical, Message = "Another gateway process publishes under this gateway's id (a cloned SD card?): availability '{Payload}' of instance {Instance}, session {Session} (retained: {Retained}); this process is instance {OwnInstance}, session {OwnSession}")]
    private partial void LogDuplicate(string instance, string payload, long session, bool retained, string ownInstance, long ownSession);
}
