using System.Text.Json;
using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Journal;

// The data of the TLS certificate checks' events: a certificate near or past its end, and its
// renewal.
public static partial class EventDataWriter
{
    /// <summary>The wire text of a certificate's role (the contract's <c>certificate</c>).</summary>
    internal static string CertificateRoleText(TlsCertificateRole role) => role switch
    {
        TlsCertificateRole.Ca => "ca",
        _ => "client",
    };

    /// <summary>The wire text of a certificate's validity (the contract's <c>validity</c>).</summary>
    internal static string CertificateValidityText(CertificateValidity validity) => validity switch
    {
        CertificateValidity.Expiring => "expiring",
        CertificateValidity.Expired => "expired",
        CertificateValidity.NotYetValid => "not-yet-valid",
        _ => "valid",
    };

    private static (string? Point, string? Zone, bool Known) WriteCertificateFields(DomainEvent domainEvent, Utf8JsonWriter writer)
    {
        switch (domainEvent)
        {
            // Paths and subjects are the technician's and the office PKI's, capped as the
            // contract caps them; the reason as every reason.
            case CertificateFault e:
                writer.WriteString("certificate", CertificateRoleText(e.Role));
                writer.WriteString("file", Cut(e.File, 1024));
                writer.WriteString("subject", Cut(e.Subject, 1024));
                writer.WriteString("validity", CertificateValidityText(e.Validity));
                writer.WriteString("notBefore", Core.WireTime.Format(e.NotBefore));
                writer.WriteString("notAfter", Core.WireTime.Format(e.NotAfter));
                writer.WriteNumber("daysLeft", e.DaysLeft);
                writer.WriteString("reason", CutReason(e.Reason));
                return (null, null, true);

            case CertificateRestored e:
                writer.WriteString("certificate", CertificateRoleText(e.Role));
                writer.WriteString("file", Cut(e.File, 1024));
                writer.WriteString("subject", Cut(e.Subject, 1024));
                writer.WriteString("notAfter", Core.WireTime.Format(e.NotAfter));
                return (null, null, true);

            default:
                return WriteLinkFields(domainEvent, writer); // EventDataWriter.Link.cs
        }
    }
}
