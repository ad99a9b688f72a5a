using System.Text.Json;
using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Journal;

// The data of the periodic test (gateway.test, Contact ID 602): the interval to the next one and
// the decider's state, for the office to check its own picture against.
public static partial class EventDataWriter
{
    private static (string? Point, string? Zone, bool Known) WritePeriodicTestFields(DomainEvent domainEvent, Utf8JsonWriter writer)
    {
        if (domainEvent is not GatewayTest e)
        {
            return (domainEvent.Point, null, false);
        }

        writer.WriteNumber("intervalSeconds", (long)e.Interval.TotalSeconds);
        writer.WriteString("mode", ModeText(e.Mode));
        WriteStringOrNull(writer, "scenario", e.Scenario);
        writer.WriteBoolean("scenarioDrill", e.ScenarioDrill);
        writer.WriteBoolean("fireEgressReleased", e.FireEgressReleased);
        writer.WriteNumber("threatLevel", e.ThreatLevel);
        writer.WriteNumber("activePoints", e.ActivePoints);
        // Always written, empty too: the office compares them with its own lists, and an absent
        // list would read as "not reported" rather than "none".
        WriteIds(writer, "bypassed", e.Bypassed);
        WriteIds(writer, "unreadable", e.Unreadable);
        WriteIds(writer, "chattering", e.Chattering);
        WriteIds(writer, "doorAlarms", e.DoorAlarms);
        return (null, null, true);
    }
}
