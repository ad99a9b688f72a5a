using System.Text.Json;
using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Journal;

// The data of the start: kept apart from the other events' (EventDataWriter.cs) for its length.
public static partial class EventDataWriter
{
    private static void WriteGatewayStarted(GatewayStarted started, Utf8JsonWriter writer)
    {
        writer.WriteString("restoredMode", ModeText(started.RestoredMode));
        if (started.LockdownCause is null)
        {
            writer.WriteNull("lockdownCause");
        }
        else
        {
            writer.WriteString("lockdownCause", started.LockdownCause);
        }

        // Only with a scenario restored: a normal boot's data stays as it was before the field.
        if (started.Scenario is not null)
        {
            writer.WriteString("scenario", started.Scenario);
        }

        ScenarioWire.WriteSuspended(writer, started.Suspended);
        // Only on the re-apply of a state read late: every boot's data stays as it was.
        if (started.Reapplied)
        {
            writer.WriteBoolean("reapplied", true);
        }

        // Only when the boot did not keep something it saved (a config change): the field
        // came after the others, and every other boot's data stays as it was.
        if (started.NotRestored.Count > 0)
        {
            writer.WriteStartArray("notRestored");
            foreach (var item in started.NotRestored)
            {
                writer.WriteStringValue(Cut(item, 512));
            }

            writer.WriteEndArray();
        }
    }
}
