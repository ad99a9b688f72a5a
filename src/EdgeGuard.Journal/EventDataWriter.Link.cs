using System.Text.Json;
using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Journal;

// The data of the broker link's events (LinkEvents.cs): who else holds the gateway's ids, and
// what the broker kept. Kept apart from the other events' (EventDataWriter.cs) for its length.
public static partial class EventDataWriter
{
    private static (string? Point, string? Zone, bool Known) WriteLinkFields(DomainEvent domainEvent, Utf8JsonWriter writer)
    {
        switch (domainEvent)
        {
            case SessionTakenOver e:
                writer.WriteString("connection", e.Connection == BrokerConnection.Commands ? "commands" : "publisher");
                return (null, null, true);

            case JournalWentBack e:
                writer.WriteNumber("session", e.Session);
                writer.WriteNumber("brokerSession", e.BrokerSession);
                writer.WriteNumber("raisedSession", e.RaisedSession);
                writer.WriteNumber("lastSeq", e.LastSeq);
                if (e.BrokerLastSeq is { } brokerLastSeq)
                {
                    writer.WriteNumber("brokerLastSeq", brokerLastSeq);
                }

                return (null, null, true);

            case CommandSessionLost e:
                writer.WriteString("since", Core.WireTime.Format(e.Since));
                return (null, null, true);

            case DuplicateGateway e:
                writer.WriteString("instance", e.Instance);
                writer.WriteNumber("session", e.Session);
                writer.WriteString("availability", e.Online ? "online" : "offline");
                writer.WriteString("ownInstance", e.OwnInstance);
                writer.WriteNumber("ownSession", e.OwnSession);
                return (null, null, true);

            default:
                return WritePeriodicTestFields(domainEvent, writer); // EventDataWriter.PeriodicTest.cs
        }
    }
}
