using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using EdgeGuard.Core;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Journal;

/// <summary>The columns of a journal row that depend on the event's type.</summary>
/// <param name="Point">Point or output the event is about, if any.</param>
/// <param name="Zone">Zone of that point; only point events carry one.</param>
/// <param name="DataJson">Event-specific fields as a JSON object, <c>{}</c> when none.</param>
public readonly record struct EventFields(string? Point, string? Zone, string DataJson);

/// <summary>
/// Maps every <see cref="DomainEvent"/> to its journal columns: point, zone and the <c>data</c>
/// JSON object. Field names are camelCase and fixed — the MQTT contract publishes <c>data</c> as
/// it is stored, so renaming a field here is a breaking change of the wire format.
/// </summary>
/// <remarks>
/// Written with <see cref="Utf8JsonWriter"/>: no reflection, trim- and AOT-safe. Enum values are
/// spelled out per member rather than taken from <see cref="Enum.ToString()"/>, so renaming a
/// Core enum member cannot silently change what the office receives.
/// </remarks>
public static partial class EventDataWriter
{
    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // Free-text reasons may hold any character; the default encoder already escapes what
        // JSON needs, and nothing here is embedded in HTML.
        Indented = false,
        SkipValidation = false,
    };

    // The data text of a point change, by kind, direction and bypass (see PointChangeData).
    private static readonly string?[] PointChangeTexts = new string?[Enum.GetValues<PointKind>().Length * 4];

    // One writer and buffer per thread, reset for each event: Describe runs for every event, on the
    // path it takes to the office, and a new writer per event was most of what sequencing allocated.
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    /// <summary>The point, zone and data JSON of <paramref name="domainEvent"/>.</summary>
    /// <param name="domainEvent">Any domain event; an unknown subtype gets its base point and <c>{}</c>.</param>
    /// <returns>The journal columns.</returns>
    public static EventFields Describe(DomainEvent domainEvent)
    {
        ArgumentNullException.ThrowIfNull(domainEvent);
        if (PointChangeData(domainEvent) is { } known)
        {
            return known;
        }

        return Write(domainEvent);
    }

    // Point changes are most of what a gateway journals, and their data depends on nothing but the
    // point's kind, the direction and the bypass flag: each of those few objects is written once (by
    // the same code as any event) and its text reused. Describe runs on the path from the edge to
    // the office's PUBLISH, where a JSON writer's first use per event cost ~5 µs of cold code.
    private static EventFields? PointChangeData(DomainEvent domainEvent)
    {
        var (point, zone, kind, active, bypassed) = domainEvent switch
        {
            PointActivated e => (e.PointId, e.Zone, e.Kind, true, e.Bypassed),
            PointRestored e => (e.PointId, e.Zone, e.Kind, false, e.Bypassed),
            _ => (null!, null, default(PointKind), false, false),
        };
        var slot = ((int)kind * 4) + (active ? 2 : 0) + (bypassed ? 1 : 0);
        if (point is null || (uint)slot >= (uint)PointChangeTexts.Length)
        {
            return null;
        }

        var data = Volatile.Read(ref PointChangeTexts[slot]);
        if (data is null)
        {
            // Two threads may both write it first: the same text, and either copy does.
            data = Write(domainEvent).DataJson;
            Volatile.Write(ref PointChangeTexts[slot], data);
        }

        return new EventFields(point, zone, data);
    }

    private static EventFields Write(DomainEvent domainEvent)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(256);
        buffer.ResetWrittenCount();
        var writer = t_writer ??= new Utf8JsonWriter(buffer, WriterOptions);
        writer.Reset(buffer);
        writer.WriteStartObject();
        var (point, zone, _) = WriteFields(domainEvent, writer);
        writer.WriteEndObject();
        writer.Flush();
        return new EventFields(point, zone, Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    /// <summary>True when <paramref name="domainEvent"/>'s type has a mapping of its own (not the fallback).</summary>
    internal static bool HasExplicitMapping(DomainEvent domainEvent)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using var writer = new Utf8JsonWriter(buffer, WriterOptions);
        writer.WriteStartObject();
        var (_, _, known) = WriteFields(domainEvent, writer);
        writer.WriteEndObject();
        return known;
    }

    // Writes the data fields into an open object and returns the point, the zone, and whether the
    // event type was known. Every Core event type has an arm of its own: the fallback is for types
    // added later (or by tests), and a test fails when a Core type reaches it.
    private static void WriteStringOrNull(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is null)
        {
            writer.WriteNull(name);
        }
        else
        {
            writer.WriteString(name, value);
        }
    }

    // The schema's reason limit; never splits a surrogate pair, so the text stays valid UTF-8.
    private static string CutReason(string reason) => Cut(reason, 1024);

    /// <summary>At most <paramref name="max"/> UTF-16 units of <paramref name="text"/>, never splitting a surrogate pair (<see cref="TextCut"/>).</summary>
    internal static string Cut(string text, int max) => TextCut.Cut(text, max);

    private static (string? Point, string? Zone, bool Known) WriteFields(DomainEvent domainEvent, Utf8JsonWriter writer)
    {
        switch (domainEvent)
        {
            case PointActivated e:
                writer.WriteString("kind", PointKindText(e.Kind));
                writer.WriteBoolean("active", true);
                WriteBypassed(writer, e.Bypassed);
                return (e.PointId, e.Zone, true);

            case PointRestored e:
                writer.WriteString("kind", PointKindText(e.Kind));
                writer.WriteBoolean("active", false);
                WriteBypassed(writer, e.Bypassed);
                return (e.PointId, e.Zone, true);

            case LockdownStarted e:
                writer.WriteString("cause", e.Cause);
                writer.WriteString("scenario", e.Scenario);
                if (e.Replaced is not null)
                {
                    writer.WriteString("replaced", e.Replaced);
                }

                return (e.PointId, null, true);

            case LockdownRetriggered e:
                writer.WriteString("cause", e.Cause);
                writer.WriteString("scenario", e.Scenario);
                return (e.PointId, null, true);

            case LockdownCleared e:
                writer.WriteString("clearedBy", e.ClearedBy);
                writer.WriteString("lockdownSince", WireTime.Format(e.LockdownSince));
                writer.WriteString("scenario", e.Scenario);
                return (e.Point, null, true);

            case LockdownClearRefused e:
                writer.WriteString("attemptedBy", e.AttemptedBy);
                writer.WriteString("reason", CutReason(e.Reason));
                return (e.AttemptedBy, null, true);

            case LockdownStartRefused e:
                writer.WriteString("cause", e.Cause);
                writer.WriteString("scenario", e.Scenario);
                writer.WriteString("runningScenario", e.RunningScenario);
                writer.WriteString("reason", CutReason(e.Reason));
                writer.WriteBoolean("suspended", e.Suspended);
                writer.WriteBoolean("sirenRestarted", e.SirenRestarted);
                return (e.PointId, null, true);

            case SirenTimedOut:
                return (null, null, true);

            case GatewayStarted e:
                WriteGatewayStarted(e, writer);
                return (null, null, true);

            case PointActiveAtBoot e:
                writer.WriteString("kind", PointKindText(e.Kind));
                return (e.PointId, e.Zone, true);

            case SafetyStateNotPersisted e:
                writer.WriteString("reason", CutReason(e.Reason));
                return (null, null, true);

            case SafetyStateNotPersistedRestored e:
                writer.WriteString("mode", ModeText(e.Mode));
                return (null, null, true);

            case SafetyStateUnreadable e:
                // The store's message names the database's path, which may be long.
                writer.WriteString("reason", CutReason(e.Reason));
                return (null, null, true);

            case OutputFault e:
                writer.WriteString("output", e.OutputId);
                writer.WriteString("reason", CutReason(e.Reason));
                return (e.OutputId, null, true);

            case OutputFaultRestored e:
                writer.WriteString("output", e.OutputId);
                return (e.OutputId, null, true);

            case DoorForced e:
                writer.WriteString("door", e.DoorId);
                writer.WriteString("mode", ModeText(e.Mode));
                return (e.ContactPoint, e.Zone, true);

            case DoorForcedRestored e:
                writer.WriteString("door", e.DoorId);
                return (e.ContactPoint, e.Zone, true);

            case DoorHeldOpen e:
                writer.WriteString("door", e.DoorId);
                writer.WriteNumber("allowedSeconds", (long)e.Allowed.TotalSeconds);
                return (e.ContactPoint, e.Zone, true);

            case DoorHeldOpenRestored e:
                writer.WriteString("door", e.DoorId);
                return (e.ContactPoint, e.Zone, true);

            case DoorReleased e:
                writer.WriteString("door", e.DoorId);
                writer.WriteNumber("seconds", (long)e.For.TotalSeconds);
                return (e.RequestedBy, null, true);

            case DelayedEgressStarted e:
                writer.WriteString("door", e.DoorId);
                writer.WriteNumber("delaySeconds", (long)e.Delay.TotalSeconds);
                return (e.RequestedBy, null, true);

            case DelayedEgressReleased e:
                writer.WriteString("door", e.DoorId);
                return (null, null, true);

            case DoorRelocked e:
                writer.WriteString("door", e.DoorId);
                return (e.RelockedBy, null, true);

            case ThreatLevelChanged e:
                writer.WriteNumber("from", e.From);
                writer.WriteNumber("to", e.To);
                writer.WriteString("changedBy", e.ChangedBy);
                return (e.Point, null, true);

            case PerimeterBreach e:
                writer.WriteNumber("threatLevel", e.ThreatLevel);
                writer.WriteBoolean("startsLockdown", e.StartsLockdown);
                // Kept suspended under a higher-ranked scenario: it locks now and runs later.
                writer.WriteBoolean("suspended", e.KeptSuspended);
                return (e.PointId, e.Zone, true);

            case SilentHoldUp e:
                return (e.PointId, e.Zone, true);

            case FireAlarmRaised e:
                writer.WriteString("mode", ModeText(e.Mode));
                return (e.PointId, e.Zone, true);

            case FireReset e:
                writer.WriteString("resetBy", e.ResetBy);
                return (e.ResetBy, null, true);

            case FireResetRefused e:
                writer.WriteString("attemptedBy", e.AttemptedBy);
                writer.WriteString("reason", CutReason(e.Reason));
                return (e.AttemptedBy, null, true);

            case DeliveryFault e:
                writer.WriteNumber("seq", e.Seq);
                writer.WriteString("reason", CutReason(e.Reason));
                return (null, null, true);

            case ResendEnded e:
                writer.WriteString("resend", e.ResendId);
                writer.WriteNumber("from", e.From);
                writer.WriteNumber("to", e.To);
                writer.WriteNumber("settledThrough", e.SettledThrough);
                writer.WriteNumber("resent", e.Resent);
                WriteStringOrNull(writer, "problem", e.Problem is null ? null : CutReason(e.Problem));

                return (null, null, true);

            case StateDeliveryFault e:
                writer.WriteString("topic", e.Topic);
                writer.WriteString("reason", CutReason(e.Reason));
                return (null, null, true);

            case BrokerFault e:
                writer.WriteString("reason", CutReason(e.Reason));
                return (null, null, true);

            case BrokerFaultRestored e:
                writer.WriteNumber("refusals", e.Refusals);
                return (null, null, true);

            case ChatterDetected e:
                writer.WriteString("kind", PointKindText(e.Kind));
                writer.WriteNumber("transitions", e.Transitions);
                writer.WriteNumber("windowSeconds", (long)e.Window.TotalSeconds);
                writer.WriteBoolean("suppressed", e.Suppressed);
                return (e.PointId, e.Zone, true);

            case ChatterRestored e:
                writer.WriteString("kind", PointKindText(e.Kind));
                writer.WriteBoolean("active", e.Active);
                writer.WriteNumber("transitions", e.Transitions);
                writer.WriteNumber("settleSeconds", (long)e.SettleTime.TotalSeconds);
                writer.WriteBoolean("suppressed", e.WasSuppressed);
                return (e.PointId, e.Zone, true);

            case PointStuck e:
                writer.WriteString("kind", PointKindText(e.Kind));
                writer.WriteBoolean("active", e.Active);
                writer.WriteNumber("stuckAfterSeconds", (long)e.StuckAfter.TotalSeconds);
                return (e.PointId, e.Zone, true);

            case PointStuckRestored e:
                writer.WriteString("kind", PointKindText(e.Kind));
                writer.WriteBoolean("active", e.Active);
                writer.WriteNumber("stuckForSeconds", (long)e.StuckFor.TotalSeconds);
                return (e.PointId, e.Zone, true);

            case EolTamperDetected e:
                writer.WriteString("kind", PointKindText(e.Kind));
                writer.WriteString("condition", LoopTamperText(e.Condition));
                writer.WriteNumber("reading", e.Reading);
                return (e.PointId, e.Zone, true);

            case EolTamperRestored e:
                writer.WriteString("kind", PointKindText(e.Kind));
                writer.WriteString("condition", LoopTamperText(e.Condition));
                writer.WriteNumber("reading", e.Reading);
                return (e.PointId, e.Zone, true);

            case HardwareFault e:
                writer.WriteString("device", e.Device);
                // Reasons may carry a driver's exception message, which the contract caps.
                writer.WriteString("reason", CutReason(e.Reason));
                // Only when it leaves points unread: every other fault's data stays as it was.
                if (e.Points.Count > 0)
                {
                    WriteIds(writer, "points", e.Points);
                }

                return (null, null, true);

            case HardwareFaultRestored e:
                writer.WriteString("device", e.Device);
                return (null, null, true);

            default:
                return WriteDoorLockFields(domainEvent, writer); // EventDataWriter.Doors.cs
        }
    }

    /// <summary>UTC ISO-8601 round-trip text, the form every journal timestamp takes.</summary>
    internal static string Iso(DateTimeOffset value) =>
        value.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
}
