using System.Text;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Journal;
using EdgeGuard.Mqtt.Contract;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// <c>fault.certificate</c> and its restore as the gateway writes them (journal data, then the
/// event payload) against the contract's schemas, and broken copies that the schemas must refuse,
/// or the check proves nothing.
/// </summary>
public sealed class CertificateEventContractTests
{
    private static readonly Topics Topics = new("site-1", "gw-1");
    private static readonly DateTimeOffset At = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset From = new(2023, 12, 30, 9, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset To = new(2026, 12, 29, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Every_certificate_event_the_gateway_writes_matches_the_contract_and_broken_ones_do_not()
    {
        DomainEvent[] events =
        [
            new CertificateFault(At, TlsCertificateRole.Client, "/etc/edgeguard/tls/gateway.crt", "CN=gw-1", From, To, CertificateValidity.Expiring),
            new CertificateFault(To.AddDays(2), TlsCertificateRole.Client, "/etc/edgeguard/tls/gateway.crt", "CN=gw-1", From, To, CertificateValidity.Expired),
            new CertificateFault(From.AddDays(-1), TlsCertificateRole.Ca, "/etc/edgeguard/tls/ca.pem", "CN=Office CA, O=Mission", From, To, CertificateValidity.NotYetValid),
            new CertificateRestored(To.AddDays(3), TlsCertificateRole.Client, "/etc/edgeguard/tls/gateway.crt", "CN=gw-1", To.AddYears(3)),
        ];
        var payloads = events.Select((e, i) => Payload(e, i + 1)).ToList();
        Assert.Contains("\"severity\":\"warning\"", payloads[0], StringComparison.Ordinal);
        Assert.Contains("\"severity\":\"alarm\"", payloads[1], StringComparison.Ordinal);
        Assert.Contains("\"daysLeft\":-2", payloads[1], StringComparison.Ordinal);

        var (exitCode, report) = await ContractTool.ValidateAsync([.. payloads.Select(p => (Topics.Events, p))]);
        Assert.True(exitCode == 0, report);
        Assert.EndsWith("4 passed, 0 failed", report.TrimEnd(), StringComparison.Ordinal);

        string[] broken =
        [
            payloads[0].Replace("\"validity\":\"expiring\"", "\"validity\":\"valid\"", StringComparison.Ordinal),
            payloads[1].Replace("\"daysLeft\":-2,", string.Empty, StringComparison.Ordinal),
            payloads[2].Replace("\"certificate\":\"ca\"", "\"certificate\":\"broker\"", StringComparison.Ordinal),
            payloads[3].Replace("\"notAfter\":\"2029-12-29T09:00:00.000Z\"", "\"notAfter\":\"2029-12-29\"", StringComparison.Ordinal),
        ];
        Assert.DoesNotContain(broken, b => payloads.Contains(b));
        (exitCode, report) = await ContractTool.ValidateAsync([.. broken.Select(b => (Topics.Events, b))]);
        Assert.NotEqual(0, exitCode);
        Assert.EndsWith("0 passed, 4 failed", report.TrimEnd(), StringComparison.Ordinal);
    }

    private static string Payload(DomainEvent domainEvent, long seq)
    {
        var fields = EventDataWriter.Describe(domainEvent);
        var record = new JournalRecord(
            seq, Guid.CreateVersion7(domainEvent.At), domainEvent.At, TimeSpan.FromSeconds(seq), domainEvent.Type, fields.Point, fields.Zone, domainEvent.Severity, false, fields.DataJson);
        return Encoding.UTF8.GetString(Payloads.Event(record, Topics, replayed: false, out _));
    }
}
