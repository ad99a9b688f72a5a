using System.Text.Json;
using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Journal;

// The data of the events that say a door's lock is not what it should be: released because its exit
// buttons cannot be read (door.exit-unreadable), disagreeing with its status contact (door.lock-fault),
// or released by the office's open-door (door.access-granted, door.access-ended).
public static partial class EventDataWriter
{
    private static (string? Point, string? Zone, bool Known) WriteDoorLockFields(DomainEvent domainEvent, Utf8JsonWriter writer)
    {
        switch (domainEvent)
        {
            case DoorExitUnreadable e:
                writer.WriteString("door", e.DoorId);
                writer.WriteString("lock", e.LockId);
                WriteIds(writer, "exits", e.Exits);
                return (null, null, true);

            case DoorLockFault e:
                writer.WriteString("door", e.DoorId);
                writer.WriteString("lock", e.LockId);
                writer.WriteString("condition", LockConditionText(e.Condition));
                writer.WriteString("mode", ModeText(e.Mode));
                writer.WriteBoolean("egress", e.Egress);
                return (e.MonitorPoint, null, true);

            case DoorLockFaultRestored e:
                writer.WriteString("door", e.DoorId);
                writer.WriteString("lock", e.LockId);
                writer.WriteString("condition", LockConditionText(e.Condition));
                return (e.MonitorPoint, null, true);

            case DoorExitUnreadableRestored e:
                writer.WriteString("door", e.DoorId);
                writer.WriteString("lock", e.LockId);
                return (null, null, true);

            case DoorAccessGranted e:
                writer.WriteString("door", e.DoorId);
                writer.WriteString("lock", e.LockId);
                writer.WriteString("operator", e.Operator);
                writer.WriteString("role", OperatorRoles.Wire(e.Role));
                writer.WriteNumber("seconds", (long)e.For.TotalSeconds);
                writer.WriteString("mode", ModeText(e.Mode));
                writer.WriteBoolean("override", e.Override);
                return (null, null, true);

            case DoorAccessEnded e:
                writer.WriteString("door", e.DoorId);
                writer.WriteString("lock", e.LockId);
                writer.WriteString("reason", AccessEndText(e.Reason));
                return (null, null, true);

            default:
                return WriteJournalFields(domainEvent, writer); // EventDataWriter.Journal.cs
        }
    }

    private static string AccessEndText(DoorAccessEnd reason) => reason switch
    {
        DoorAccessEnd.Expired => "expired",
        DoorAccessEnd.Closed => "closed",
        DoorAccessEnd.Alert => "alert",
        _ => throw new ArgumentOutOfRangeException(nameof(reason), reason, null),
    };

    private static string LockConditionText(LockCondition condition) => condition switch
    {
        LockCondition.NotEngaged => "notEngaged",
        LockCondition.NotReleased => "notReleased",
        _ => throw new ArgumentOutOfRangeException(nameof(condition), condition, null),
    };

    // Point or output ids from the config, which bounds their length: written whole.
    private static void WriteIds(Utf8JsonWriter writer, string name, IReadOnlyList<string> ids)
    {
        writer.WriteStartArray(name);
        foreach (var id in ids)
        {
            writer.WriteStringValue(id);
        }

        writer.WriteEndArray();
    }
}
