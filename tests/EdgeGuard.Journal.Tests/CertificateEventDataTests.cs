using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Journal.Tests;

/// <summary>The wire data of the TLS certificate checks' events (fields fixed by docs/schemas/event-data.schema.json).</summary>
public sealed class CertificateEventDataTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 29, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset From = new(2023, 12, 30, 9, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset To = new(2026, 12, 29, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public void An_expiring_client_certificate_carries_which_file_its_window_the_days_left_and_why()
    {
        var fault = new CertificateFault(At, TlsCertificateRole.Client, "/etc/edgeguard/tls/gateway.crt", "CN=gw-1", From, To, CertificateValidity.Expiring);

        var fields = EventDataWriter.Describe(fault);

        Assert.Equal((null, null), (fields.Point, fields.Zone));
        EventDataWriterTests.AssertData(fields.DataJson,
            ("certificate", "client"), ("file", "/etc/edgeguard/tls/gateway.crt"), ("subject", "CN=gw-1"), ("validity", "expiring"),
            ("notBefore", "2023-12-30T09:00:00.000Z"), ("notAfter", "2026-12-29T09:00:00.000Z"), ("daysLeft", 29L), ("reason", fault.Reason));
    }

    [Theory]
    [InlineData(CertificateValidity.Expired, "expired")]
    [InlineData(CertificateValidity.NotYetValid, "not-yet-valid")]
    public void A_CA_outside_its_window_says_ca_and_its_validity(CertificateValidity validity, string text)
    {
        var fields = EventDataWriter.Describe(new CertificateFault(To.AddDays(1), TlsCertificateRole.Ca, "/etc/edgeguard/tls/ca.pem", "CN=Office CA", From, To, validity));

        EventDataWriterTests.AssertData(fields.DataJson,
            ("certificate", "ca"), ("file", "/etc/edgeguard/tls/ca.pem"), ("subject", "CN=Office CA"), ("validity", text),
            ("notBefore", "2023-12-30T09:00:00.000Z"), ("notAfter", "2026-12-29T09:00:00.000Z"), ("daysLeft", -1L),
            ("reason", new CertificateFault(To.AddDays(1), TlsCertificateRole.Ca, "/etc/edgeguard/tls/ca.pem", "CN=Office CA", From, To, validity).Reason));
    }

    [Fact]
    public void The_restore_names_the_file_and_the_renewed_end()
    {
        var fields = EventDataWriter.Describe(new CertificateRestored(At, TlsCertificateRole.Client, "/etc/edgeguard/tls/gateway.crt", "CN=gw-1", To.AddYears(3)));

        EventDataWriterTests.AssertData(fields.DataJson,
            ("certificate", "client"), ("file", "/etc/edgeguard/tls/gateway.crt"), ("subject", "CN=gw-1"), ("notAfter", "2029-12-29T09:00:00.000Z"));
    }

    [Fact]
    public void A_long_path_or_subject_is_cut_to_the_contracts_limit()
    {
        var fields = EventDataWriter.Describe(new CertificateRestored(At, TlsCertificateRole.Ca, "/" + new string('p', 2_000), "CN=" + new string('s', 2_000), To));

        using var document = System.Text.Json.JsonDocument.Parse(fields.DataJson);
        Assert.Equal(1_024, document.RootElement.GetProperty("file").GetString()!.Length);
        Assert.Equal(1_024, document.RootElement.GetProperty("subject").GetString()!.Length);
    }
}
