using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace EdgeGuard.Deploy.Tests;

/// <summary>
/// <c>deploy/office/certs.sh check</c>: what of the office's PKI ends within a window. Before it,
/// nothing reminded anyone of the CRL's next update, past which Mosquitto refuses every client, nor
/// of the broker's or a client's end: the office found out when the gateways went silent.
/// </summary>
public sealed class OfficeCertsCheckTests
{
    private const string Site = ProvisionKit.Site;
    private const string Gateway = ProvisionKit.Gateway;
    private const int Due = 3;
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task A_certificate_ending_within_the_window_is_due_with_what_to_run_and_the_rest_is_ok()
    {
        using var pki = await PkiAsync(gatewayDays: 5);

        var check = await Scripts.RunAsync("deploy/office/certs.sh", Patience, "--dir", pki.Path, "check");

        Assert.True(check.ExitCode == Due, check.All);
        var due = Assert.Single(Lines(check), l => l.StartsWith("DUE", StringComparison.Ordinal));
        Assert.Contains($"certificate {Gateway} (serial ", due, StringComparison.Ordinal);
        Assert.Contains($"certs.sh renew {Gateway}", due, StringComparison.Ordinal);
        Assert.Equal(
            ["CA certificate", "broker certificate", "CRL broker/crl.pem (next update)", "certificate console-1"],
            Lines(check).Where(l => l.StartsWith("ok", StringComparison.Ordinal)).Select(l => l[8..l.IndexOf(':', StringComparison.Ordinal)].Split(" (serial")[0]));
        Assert.Contains("1 item(s) end within 30 days", check.Error, StringComparison.Ordinal);

        // A window that ends before it: nothing due.
        var narrow = await Scripts.RunAsync("deploy/office/certs.sh", Patience, "--dir", pki.Path, "check", "--within", "3");
        Assert.True(narrow.ExitCode == 0, narrow.All);
        Assert.Contains("nothing ends within 3 days", narrow.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_list_and_acl_run_with_the_ca_key_kept_offline_and_a_command_that_signs_still_asks_for_it()
    {
        // deploy/office/README.md: keep ca.key offline, copy it back only for a command that signs.
        // Before, check, list and acl refused too, so the daily `certs.sh check || mail` checked nothing.
        using var pki = await PkiAsync(gatewayDays: 5);
        File.Move(Path.Combine(pki.Path, "ca", "ca.key"), Path.Combine(pki.Path, "ca.key.offline"));

        var check = await Scripts.RunAsync("deploy/office/certs.sh", Patience, "--dir", pki.Path, "check");
        var list = await Scripts.RunAsync("deploy/office/certs.sh", Patience, "--dir", pki.Path, "list");
        var acl = await Scripts.RunAsync("deploy/office/certs.sh", Patience, "--dir", pki.Path, "acl");
        var issue = await Scripts.RunAsync("deploy/office/certs.sh", Patience, "--dir", pki.Path, "gateway", Site, "gw-9");

        Assert.True(check.ExitCode == Due, check.All);
        Assert.Single(Lines(check), l => l.StartsWith("DUE", StringComparison.Ordinal));
        Assert.True(list.ExitCode == 0, list.All);
        Assert.Contains(Gateway, list.Output, StringComparison.Ordinal);
        Assert.True(acl.ExitCode == 0, acl.All);
        Assert.NotEqual(0, issue.ExitCode);
        Assert.Contains("is not here (moved offline?)", issue.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_crl_past_its_next_update_is_reported_ended_since_the_broker_then_refuses_every_client()
    {
        using var pki = await PkiAsync();
        var crl = Path.Combine(pki.Path, "broker", "crl.pem");
        var nextUpdate = DateTimeOffset.UtcNow.AddMinutes(-5);
        using (var ca = X509Certificate2.CreateFromPemFile(Path.Combine(pki.Path, "ca", "ca.crt"), Path.Combine(pki.Path, "ca", "ca.key")))
        {
            var der = new CertificateRevocationListBuilder().Build(ca, BigInteger.One, nextUpdate, HashAlgorithmName.SHA256, thisUpdate: nextUpdate.AddDays(-1));
            await File.WriteAllTextAsync(crl, new string(PemEncoding.Write("X509 CRL", der)) + "\n");
        }

        var check = await Scripts.RunAsync("deploy/office/certs.sh", Patience, "--dir", pki.Path, "check");

        Assert.True(check.ExitCode == Due, check.All);
        var ended = Assert.Single(Lines(check), l => l.StartsWith("ENDED", StringComparison.Ordinal));
        Assert.Contains($"CRL broker/crl.pem (next update): ended {nextUpdate:yyyy-MM-dd}", ended, StringComparison.Ordinal);
        Assert.Contains("EVERY client", ended, StringComparison.Ordinal);
        Assert.Contains("certs.sh crl", ended, StringComparison.Ordinal);

        File.Delete(crl);
        var missing = await Scripts.RunAsync("deploy/office/certs.sh", Patience, "--dir", pki.Path, "check");
        Assert.True(missing.ExitCode == Due, missing.All);
        Assert.Contains("DUE     CRL broker/crl.pem: missing", missing.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_renewed_certificates_old_copy_and_a_revoked_one_are_not_counted()
    {
        using var pki = await PkiAsync(gatewayDays: 5);
        await Certs(pki, "renew", Gateway);
        await Certs(pki, "gateway", Site, "gw-2", "--days", "5");
        await Certs(pki, "revoke", "gw-2");

        var check = await Certs(pki, "check");

        var serials = Lines(check).Where(l => l.Contains("certificate gw-", StringComparison.Ordinal)).ToList();
        var current = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(pki.Path, "gateways", Gateway, Gateway + ".crt"));
        Assert.Equal($"certificate {Gateway} (serial {current.SerialNumber})", Assert.Single(serials)[8..].Split(':')[0]);
    }

    [Theory]
    [InlineData("x")]
    [InlineData("-1")]
    [InlineData("100000")]
    [InlineData("08")]
    [InlineData("010")]
    public async Task An_unusable_window_is_refused_by_name(string within)
    {
        using var pki = await PkiAsync();

        var check = await Scripts.RunAsync("deploy/office/certs.sh", Patience, "--dir", pki.Path, "check", "--within", within);

        Assert.True(check.ExitCode == 1, check.All);
        Assert.Contains($"--within must be a whole number of days (0-99999), not '{within}'", check.Error, StringComparison.Ordinal);
    }

    private static async Task<TempDirectory> PkiAsync(int gatewayDays = 1095)
    {
        var pki = new TempDirectory();
        await Certs(pki, "init-ca");
        await Certs(pki, "broker", "broker.example");
        await Certs(pki, "gateway", Site, Gateway, "--days", gatewayDays.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Certs(pki, "office", "console-1");
        return pki;
    }

    private static string[] Lines(Scripts.Result result) => result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private static async Task<Scripts.Result> Certs(TempDirectory pki, params string[] args)
    {
        var result = await Scripts.RunAsync("deploy/office/certs.sh", Patience, ["--dir", pki.Path, .. args]);
        Assert.True(result.ExitCode == 0, $"certs.sh {string.Join(' ', args)}: {result.All}");
        return result;
    }
}
