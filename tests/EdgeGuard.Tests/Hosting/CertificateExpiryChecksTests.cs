using EdgeGuard.Core.Lockdown;
using EdgeGuard.Hosting;
using EdgeGuard.Mqtt.Publishing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace EdgeGuard.Tests.Hosting;

/// <summary>
/// The running gateway's check of its TLS certificates (<see cref="CertificateExpiryChecks"/>), with
/// certificates issued for the test around a fake clock: the office hears of a client certificate
/// or pinned CA near or past its end while the link still works, once per crossing, and of its
/// renewal when a check reads the replaced file.
/// </summary>
// The TLS files are read through the gateway's checked open (statx): Linux.
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class CertificateExpiryChecksTests : IDisposable
{
    private const string Gateway = "gw-chancery";

    // Whole seconds, as certificates keep their times: days left then count exactly.
    private static readonly DateTimeOffset Start = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds());

    private readonly TempDirectory _dir = new("edgeguard-cert-expiry-");
    private readonly FakeTimeProvider _time = new(Start);
    private readonly List<DomainEvent> _reported = [];
    private CertificateExpiryChecks? _checks;

    public void Dispose()
    {
        _checks?.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task Certificates_far_from_their_end_report_nothing_at_start_nor_at_a_week_of_checks()
    {
        var pki = new TestPki(_dir.Path);
        var (cert, key) = pki.IssueClient(Gateway, Start.AddDays(-1), Start.AddDays(200));

        await StartAsync(pki.CaFile, cert, key);
        Run(TimeSpan.FromDays(7));

        Assert.Empty(_reported);
    }

    [Fact]
    public async Task A_client_certificate_within_30_days_at_start_warns_once_with_days_left_expiry_and_file()
    {
        var pki = new TestPki(_dir.Path, notBefore: Start.AddDays(-400));
        var (cert, key) = pki.IssueClient(Gateway, Start.AddDays(-300), Start.AddDays(10));

        await StartAsync(pki.CaFile, cert, key);
        Run(TimeSpan.FromDays(2)); // eight more checks

        var fault = Assert.IsType<CertificateFault>(Assert.Single(_reported));
        Assert.Equal(Start, fault.At);
        Assert.Equal(Severity.Warning, fault.Severity);
        Assert.Equal(CertificateValidity.Expiring, fault.Validity);
        Assert.Equal(TlsCertificateRole.Client, fault.Role);
        Assert.Equal(cert, fault.File);
        Assert.Equal(Start.AddDays(10), fault.NotAfter);
        Assert.Equal(10, fault.DaysLeft);
        Assert.Equal($"CN={Gateway}", fault.Subject);
        Assert.Contains($"'{cert}' expires in 10 days", fault.Reason, StringComparison.Ordinal);
        Assert.Contains(Core.WireTime.Format(Start.AddDays(10)), fault.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Crossing_the_30_day_notice_is_reported_at_the_periodic_check_that_finds_it_and_only_then()
    {
        var pki = new TestPki(_dir.Path);
        var (cert, key) = pki.IssueClient(Gateway, Start.AddDays(-1), Start.AddDays(31));

        await StartAsync(pki.CaFile, cert, key);
        Assert.Empty(_reported);
        Run(TimeSpan.FromDays(1) - TimeSpan.FromSeconds(1));
        Assert.Empty(_reported);
        Run(TimeSpan.FromDays(5));

        var fault = Assert.IsType<CertificateFault>(Assert.Single(_reported));
        // The fourth 6-hour check: exactly 30 days before the end.
        Assert.Equal(Start.AddDays(1), fault.At);
        Assert.Equal(CertificateValidity.Expiring, fault.Validity);
        Assert.Equal(30, fault.DaysLeft);
    }

    [Fact]
    public async Task Expiry_is_an_alarm_once_and_a_renewed_file_is_restored_at_the_next_check()
    {
        var pki = new TestPki(_dir.Path);
        var (cert, key) = pki.IssueClient(Gateway, Start.AddDays(-1), Start.AddDays(5));

        await StartAsync(pki.CaFile, cert, key);
        Run(TimeSpan.FromDays(7));
        // The technician replaces the files in place; no restart.
        pki.IssueClient(Gateway, _time.GetUtcNow().AddDays(-1), Start.AddDays(300));
        var renewedAt = _time.GetUtcNow();
        Run(TimeSpan.FromDays(2));

        Assert.Collection(
            _reported,
            e => Assert.Equal(CertificateValidity.Expiring, Assert.IsType<CertificateFault>(e).Validity),
            e =>
            {
                var expired = Assert.IsType<CertificateFault>(e);
                Assert.Equal(CertificateValidity.Expired, expired.Validity);
                Assert.Equal(Severity.Alarm, expired.Severity);
                Assert.Equal(Start.AddDays(5).AddHours(6), expired.At); // the first check past its end
                Assert.Contains("has expired", expired.Reason, StringComparison.Ordinal);
            },
            e =>
            {
                var restored = Assert.IsType<CertificateRestored>(e);
                Assert.Equal(TlsCertificateRole.Client, restored.Role);
                Assert.Equal(cert, restored.File);
                Assert.Equal(Start.AddDays(300), restored.NotAfter);
                Assert.True(restored.At > renewedAt && restored.At <= renewedAt + CertificateExpiryChecks.Interval, $"{restored.At}");
            });
    }

    [Fact]
    public async Task A_certificate_not_yet_valid_is_an_alarm_naming_the_clock_and_is_restored_when_its_start_comes()
    {
        var pki = new TestPki(_dir.Path);
        var (cert, key) = pki.IssueClient(Gateway, Start.AddDays(2), Start.AddDays(300));

        await StartAsync(pki.CaFile, cert, key);
        var fault = Assert.IsType<CertificateFault>(Assert.Single(_reported));
        Assert.Equal(CertificateValidity.NotYetValid, fault.Validity);
        Assert.Equal(Severity.Alarm, fault.Severity);
        Assert.Contains("check the gateway's clock", fault.Reason, StringComparison.Ordinal);

        Run(TimeSpan.FromDays(3));

        Assert.Equal(2, _reported.Count);
        Assert.Equal(Start.AddDays(2), Assert.IsType<CertificateRestored>(_reported[1]).At);
    }

    [Fact]
    public async Task A_pinned_CA_near_its_end_is_reported_with_the_CA_file_and_its_subject()
    {
        var pki = new TestPki(_dir.Path, notBefore: Start.AddDays(-400), notAfter: Start.AddDays(20));

        await StartAsync(pki.CaFile, null, null);

        var fault = Assert.IsType<CertificateFault>(Assert.Single(_reported));
        Assert.Equal(TlsCertificateRole.Ca, fault.Role);
        Assert.Equal(pki.CaFile, fault.File);
        Assert.Equal("CN=EdgeGuard test CA office", fault.Subject);
        Assert.Equal(20, fault.DaysLeft);
        Assert.Contains("pinned CA certificate", fault.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Client_certificate_and_CA_are_separate_episodes_reported_together_at_a_check()
    {
        var pki = new TestPki(_dir.Path, notBefore: Start.AddDays(-400), notAfter: Start.AddDays(20));
        var (cert, key) = pki.IssueClient(Gateway, Start.AddDays(-1), Start.AddDays(19));

        await StartAsync(pki.CaFile, cert, key);
        Run(TimeSpan.FromDays(3));

        Assert.Equal(
            [(TlsCertificateRole.Client, CertificateValidity.Expiring), (TlsCertificateRole.Ca, CertificateValidity.Expiring)],
            _reported.Cast<CertificateFault>().Select(f => (f.Role, f.Validity)));
    }

    // A missing or spoilt file is the publisher's to report (fault.broker, at every connect
    // attempt); here it is skipped, and the file is read again at the next check.
    [Fact]
    public async Task A_file_that_cannot_be_read_reports_nothing_and_is_checked_again_once_it_is_back()
    {
        var pki = new TestPki(_dir.Path);
        var cert = _dir.File("later.crt");

        await StartAsync(pki.CaFile, cert, _dir.File("later.key"));
        Run(CertificateExpiryChecks.Interval);
        File.WriteAllText(cert, "not a certificate");
        Run(CertificateExpiryChecks.Interval);
        Assert.Empty(_reported);

        var (issued, _) = pki.IssueClient(Gateway, Start.AddDays(-1), Start.AddDays(12));
        File.Copy(issued, cert, overwrite: true);
        Run(CertificateExpiryChecks.Interval);

        var fault = Assert.IsType<CertificateFault>(Assert.Single(_reported));
        Assert.Equal(cert, fault.File);
        Assert.Equal(Start + (3 * CertificateExpiryChecks.Interval), fault.At);
    }

    // A Pi has no real-time clock: it boots with the time it saved last, and NTP steps it a minute
    // later. A certificate issued since then reads as not yet valid at boot; the office must not
    // hold that alarm for a whole interval after the clock was put right.
    [Fact]
    public async Task A_certificate_outside_its_window_is_read_again_within_minutes_so_a_boot_clock_put_right_restores_it_soon()
    {
        var pki = new TestPki(_dir.Path, notBefore: Start.AddDays(-10));
        var (cert, key) = pki.IssueClient(Gateway, Start.AddHours(1), Start.AddDays(200));

        await StartAsync(pki.CaFile, cert, key);
        Assert.Equal(CertificateValidity.NotYetValid, Assert.IsType<CertificateFault>(Assert.Single(_reported)).Validity);

        // NTP steps the clock an hour on: the next check is a re-read minutes away, not hours.
        _time.Advance(TimeSpan.FromHours(1));

        Assert.Equal(2, _reported.Count);
        var restored = Assert.IsType<CertificateRestored>(_reported[1]);
        Assert.Equal(Start.AddHours(1), restored.At);

        // Back in the window, the checks are hours apart again.
        Run(CertificateExpiryChecks.Interval - TimeSpan.FromMinutes(1));
        Assert.Equal(2, _reported.Count);
    }

    [Fact]
    public async Task After_stop_no_check_runs()
    {
        var pki = new TestPki(_dir.Path);
        var (cert, key) = pki.IssueClient(Gateway, Start.AddDays(-1), Start.AddDays(40));

        await StartAsync(pki.CaFile, cert, key);
        await _checks!.StopAsync(CancellationToken.None);
        Run(TimeSpan.FromDays(20));

        Assert.Empty(_reported);
    }

    // FakeTimeProvider runs every due timer callback at the end of one Advance, with the clock
    // already there: advancing in steps of the shortest wait between checks gives each check its
    // own time, as on a gateway.
    private void Run(TimeSpan span)
    {
        var end = _time.GetUtcNow() + span;
        while (_time.GetUtcNow() < end)
        {
            // Checks fall on whole multiples of the shortest wait after the start (the interval is one).
            var since = _time.GetUtcNow() - Start;
            var next = Start + (CertificateExpiryChecks.Recheck * (Math.Floor(since / CertificateExpiryChecks.Recheck) + 1));
            _time.SetUtcNow(next < end ? next : end);
        }
    }

    private async Task StartAsync(string? caFile, string? certFile, string? keyFile)
    {
        var tls = new MqttTlsOptions { CaCertificateFile = caFile, ClientCertificateFile = certFile, ClientKeyFile = keyFile };
        Assert.True(CertificateExpiryChecks.Applies(tls));
        _checks = new CertificateExpiryChecks(tls, _reported.AddRange, _time, NullLogger<CertificateExpiryChecks>.Instance);
        await _checks.StartAsync(CancellationToken.None);
    }
}
