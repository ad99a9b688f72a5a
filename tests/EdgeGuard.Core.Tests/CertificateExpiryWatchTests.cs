using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Core.Tests;

/// <summary>
/// <see cref="CertificateExpiryWatch"/>: where a certificate stands in its window, and which
/// checks raise an event (a change of state only: once per crossing, never per check).
/// </summary>
public sealed class CertificateExpiryWatchTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset From = Now.AddYears(-1);

    [Fact]
    public void The_window_has_its_edges_where_the_TLS_check_has_them()
    {
        Assert.Equal(CertificateValidity.Valid, CertificateExpiryWatch.Classify(From, Now.AddDays(30).AddSeconds(1), Now));
        Assert.Equal(CertificateValidity.Expiring, CertificateExpiryWatch.Classify(From, Now.AddDays(30), Now));
        Assert.Equal(CertificateValidity.Expiring, CertificateExpiryWatch.Classify(From, Now, Now)); // its last second still works
        Assert.Equal(CertificateValidity.Expired, CertificateExpiryWatch.Classify(From, Now.AddSeconds(-1), Now));
        Assert.Equal(CertificateValidity.NotYetValid, CertificateExpiryWatch.Classify(Now.AddSeconds(1), Now.AddYears(1), Now));
        Assert.Equal(CertificateValidity.Valid, CertificateExpiryWatch.Classify(Now, Now.AddYears(1), Now));
    }

    [Fact]
    public void Each_crossing_raises_one_event_and_checks_in_between_none()
    {
        var watch = new CertificateExpiryWatch();
        var end = Now.AddDays(40);
        DomainEvent? At(DateTimeOffset now) => watch.Observe(TlsCertificateRole.Client, "/etc/edgeguard/tls/gw.crt", "CN=gw", From, end, now);

        Assert.Null(At(Now));
        Assert.Null(At(Now.AddDays(9)));
        var expiring = Assert.IsType<CertificateFault>(At(Now.AddDays(10)));
        Assert.Equal((CertificateValidity.Expiring, Severity.Warning, 30L), (expiring.Validity, expiring.Severity, expiring.DaysLeft));
        Assert.Null(At(Now.AddDays(20)));
        var expired = Assert.IsType<CertificateFault>(At(Now.AddDays(41)));
        Assert.Equal((CertificateValidity.Expired, Severity.Alarm, -1L), (expired.Validity, expired.Severity, expired.DaysLeft));
        Assert.Null(At(Now.AddDays(50)));
        Assert.Equal(CertificateValidity.Expired, watch.Reported(TlsCertificateRole.Client));
    }

    [Fact]
    public void A_renewal_restores_and_a_short_renewal_is_a_new_warning_instead()
    {
        var watch = new CertificateExpiryWatch();
        Assert.IsType<CertificateFault>(watch.Observe(TlsCertificateRole.Ca, "ca.pem", "CN=ca", From, Now.AddDays(-1), Now));

        var shortRenewal = Assert.IsType<CertificateFault>(watch.Observe(TlsCertificateRole.Ca, "ca.pem", "CN=ca", Now, Now.AddDays(10), Now));
        Assert.Equal(CertificateValidity.Expiring, shortRenewal.Validity);
        var restored = Assert.IsType<CertificateRestored>(watch.Observe(TlsCertificateRole.Ca, "ca.pem", "CN=ca 2", Now, Now.AddYears(3), Now));
        Assert.Equal((TlsCertificateRole.Ca, "ca.pem", "CN=ca 2", Now.AddYears(3), Severity.Info), (restored.Role, restored.File, restored.Subject, restored.NotAfter, restored.Severity));
        Assert.Null(watch.Observe(TlsCertificateRole.Ca, "ca.pem", "CN=ca 2", Now, Now.AddYears(3), Now.AddDays(1)));
    }

    [Fact]
    public void The_client_certificate_and_the_CA_are_separate_episodes()
    {
        var watch = new CertificateExpiryWatch();

        Assert.NotNull(watch.Observe(TlsCertificateRole.Client, "gw.crt", "CN=gw", From, Now.AddDays(5), Now));
        Assert.NotNull(watch.Observe(TlsCertificateRole.Ca, "ca.pem", "CN=ca", From, Now.AddDays(5), Now));
        Assert.IsType<CertificateRestored>(watch.Observe(TlsCertificateRole.Client, "gw.crt", "CN=gw", From, Now.AddYears(1), Now));
        Assert.Equal(CertificateValidity.Expiring, watch.Reported(TlsCertificateRole.Ca));
    }

    [Fact]
    public void The_reason_names_the_file_the_days_the_end_and_what_to_do()
    {
        var fault = new CertificateFault(Now, TlsCertificateRole.Client, "/etc/edgeguard/tls/gw.crt", "CN=gw", From, Now.AddDays(12.5), CertificateValidity.Expiring);

        Assert.Equal(
            "the gateway's client certificate '/etc/edgeguard/tls/gw.crt' expires in 12 days (valid from 2025-12-05T12:00:00.000Z "
            + "to 2026-12-18T00:00:00.000Z, the gateway's clock reads 2026-12-05T12:00:00.000Z): renew it at the office "
            + "(deploy/office/certs.sh renew GATEWAY) and replace the file before then, or the office link is lost",
            fault.Reason);
    }
}
