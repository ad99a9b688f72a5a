using System.Text.Json;
using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Journal;

// The data of the events office commands cause: the command's own trail (received, rejected, done,
// refused) and what the maintenance commands did (bypass, acknowledge, rebirth, technician access).
public static partial class EventDataWriter
{
    // Written only when true, so point events of sites that never bypass keep their old form.
    private static void WriteBypassed(Utf8JsonWriter writer, bool bypassed)
    {
        if (bypassed)
        {
            writer.WriteBoolean("bypassed", true);
        }
    }

    private static (string? Point, string? Zone, bool Known) WriteOfficeFields(DomainEvent domainEvent, Utf8JsonWriter writer)
    {
        switch (domainEvent)
        {
            case CommandDone e:
                writer.WriteString("command", e.CommandId);
                writer.WriteString("commandType", CommandTypes.Wire(e.CommandType));
                writer.WriteString("operator", e.Operator);
                writer.WriteString("detail", CutReason(e.Detail));
                return (null, null, true);

            case CommandRefused e:
                writer.WriteString("command", e.CommandId);
                writer.WriteString("commandType", CommandTypes.Wire(e.CommandType));
                writer.WriteString("operator", e.Operator);
                writer.WriteString("reason", CutReason(e.Reason));
                return (null, null, true);

            case CommandReceived e:
                writer.WriteString("command", e.CommandId);
                writer.WriteString("commandType", CommandTypes.Wire(e.CommandType));
                writer.WriteString("operator", e.Operator);
                writer.WriteString("role", OperatorRoles.Wire(e.Role));
                return (null, null, true);

            case OperatorKeyFault e:
                writer.WriteString("operator", e.Operator);
                writer.WriteString("file", Cut(e.File, 1024));
                // Reasons may carry the runtime's exception message, which the contract caps.
                writer.WriteString("reason", CutReason(e.Reason));
                return (null, null, true);

            case OperatorKeyRestored e:
                writer.WriteString("operator", e.Operator);
                return (null, null, true);

            // Operator and times are the signed command's (fault.clock is raised only after its
            // signature verified); gapSeconds is issued_at minus the gateway's clock, rounded.
            case ClockFault e:
                writer.WriteString("command", e.CommandId);
                writer.WriteString("operator", e.Operator);
                writer.WriteString("rejection", CommandRejections.Code(e.Rejection));
                writer.WriteString("issuedAt", Core.WireTime.Format(e.IssuedAt));
                writer.WriteNumber("gapSeconds", (long)Math.Round(e.Gap.TotalSeconds, MidpointRounding.AwayFromZero));
                writer.WriteString("reason", CutReason(e.Reason));
                return (null, null, true);

            case ClockRestored e:
                writer.WriteString("command", e.CommandId);
                writer.WriteString("operator", e.Operator);
                writer.WriteNumber("refused", e.Refused);
                return (null, null, true);

            case CommandRepeated e:
                writer.WriteString("command", e.CommandId);
                writer.WriteString("commandType", CommandTypes.Wire(e.CommandType));
                writer.WriteString("operator", e.Operator);
                writer.WriteString("answer", e.Answer);
                WriteStringOrNull(writer, "reason", e.Reason is null ? null : CutReason(e.Reason));
                if (e.Copies != 1)
                {
                    // A flood's summary (RepeatAudit): only then, so a single copy's data is as before.
                    writer.WriteNumber("copies", e.Copies);
                }

                return (null, null, true);

            // Type and operator are what the payload claims (null when it could not be read): a
            // refused command is not authenticated, and the journal records the claim as evidence.
            case CommandRejected e:
                writer.WriteString("command", e.CommandId);
                WriteStringOrNull(writer, "commandType", e.CommandType is { } t ? CommandTypes.Wire(t) : null);
                WriteStringOrNull(writer, "operator", e.Operator);
                writer.WriteString("rejection", CommandRejections.Code(e.Rejection));
                writer.WriteString("reason", CutReason(e.Reason));
                return (null, null, true);

            case PointBypassed e:
                writer.WriteString("kind", PointKindText(e.Kind));
                writer.WriteString("until", Core.WireTime.Format(e.Until));
                writer.WriteString("operator", e.Operator);
                return (e.PointId, e.Zone, true);

            case PointUnbypassed e:
                writer.WriteString("kind", PointKindText(e.Kind));
                writer.WriteString("reason", e.Reason);
                WriteStringOrNull(writer, "operator", e.Operator);
                return (e.PointId, e.Zone, true);

            case AlarmAcknowledged e:
                writer.WriteString("event", e.EventId.ToString("D"));
                writer.WriteString("eventType", e.EventType);
                writer.WriteString("operator", e.Operator);
                writer.WriteBoolean("sirenSilenced", e.SirenSilenced);
                return (e.EventPoint, null, true);

            case StateRepublishRequested e:
                writer.WriteString("operator", e.Operator);
                return (null, null, true);

            case TechnicianAccessGranted e:
                writer.WriteString("operator", e.Operator);
                writer.WriteString("until", Core.WireTime.Format(e.Until));
                return (null, null, true);

            case TechnicianAccessEnded e:
                writer.WriteString("reason", e.Reason == TechnicianAccessEnd.Expired ? "expired" : "ended");
                WriteStringOrNull(writer, "operator", e.Operator);
                return (null, null, true);

            default:
                return WriteCertificateFields(domainEvent, writer);
        }
    }
}
