using System.Security.Cryptography.X509Certificates;

namespace EdgeGuard.Deploy.Tests;

/// <summary>
/// deploy/office/certs.sh renewing a gateway's certificate, as the validator's expired-certificate
/// error, <c>fault.certificate</c> and deploy/README.md advise. Before, the advised
/// <c>certs.sh gateway SITE GATEWAY</c> kept the certificate that was ending ("already has a
/// certificate (kept)"), and the only way to a new one, revoke then issue, cut the running gateway
/// off at the broker's next CRL reload, before the new certificate was on it.
/// </summary>
public sealed class OfficeCertsTests
{
    private const string Site = ProvisionKit.Site;
    private const string Gateway = ProvisionKit.Gateway;
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task Renew_issues_a_new_certificate_for_the_same_name_and_key_and_leaves_the_old_one_valid_until_revoked_on_its_own()
    {
        using var pki = new TempDirectory();
        var folder = Path.Combine(pki.Path, "gateways", Gateway);
        var crt = Path.Combine(folder, Gateway + ".crt");
        await Certs(pki, "init-ca");
        await Certs(pki, "gateway", Site, Gateway, "--days", "5");
        var old = X509CertificateLoader.LoadCertificateFromFile(crt);
        var clients = await File.ReadAllTextAsync(Path.Combine(pki.Path, "clients"));
        var acl = await File.ReadAllTextAsync(Path.Combine(pki.Path, "broker", "acl"));

        // Issuing again keeps the certificate, and says how to renew it.
        var again = await Certs(pki, "gateway", Site, Gateway);
        Assert.Contains($"certs.sh --dir {pki.Path} renew {Gateway}", again.Output, StringComparison.Ordinal);

        var renewed = await Certs(pki, "renew", Gateway);

        var current = X509CertificateLoader.LoadCertificateFromFile(crt);
        Assert.NotEqual(old.SerialNumber, current.SerialNumber);
        // Its site as the OU, its id as the CN (the broker's user name), as the first one.
        Assert.Equal($"CN={Gateway}, OU={Site}", current.Subject);
        Assert.Equal(old.Subject, current.Subject);
        Assert.True(current.NotAfter > old.NotAfter.AddDays(1000), $"renewed until {current.NotAfter:O}");
        // The same key: the gateway's client ids (derived from it) and its command session stay.
        Assert.Equal(old.PublicKey.EncodedKeyValue.RawData, current.PublicKey.EncodedKeyValue.RawData);
        Assert.Equal(0, (await Run("openssl", "verify", "-CAfile", Path.Combine(folder, "ca.crt"), crt)).ExitCode);
        // The old certificate is recorded as superseded and still valid: the running gateway
        // keeps its link until the new one is installed on it.
        var record = Path.Combine(pki.Path, "superseded", $"{Gateway}-{old.SerialNumber}", Gateway + ".crt");
        Assert.Equal(old.RawData, X509CertificateLoader.LoadCertificateFromFile(record).RawData);
        Assert.DoesNotContain(old.SerialNumber, await CrlText(pki), StringComparison.OrdinalIgnoreCase);
        Assert.Contains($"certs.sh --dir {pki.Path} revoke-superseded {Gateway}", renewed.Output, StringComparison.Ordinal);
        Assert.Equal(clients, await File.ReadAllTextAsync(Path.Combine(pki.Path, "clients")));
        Assert.Equal(acl, await File.ReadAllTextAsync(Path.Combine(pki.Path, "broker", "acl")));
        var list = (await Certs(pki, "list")).Output;
        Assert.Contains($"superseded (still valid) /OU={Site}/CN={Gateway} serial {old.SerialNumber}", list, StringComparison.Ordinal);
        Assert.Contains($"valid    /OU={Site}/CN={Gateway} serial {current.SerialNumber}", list, StringComparison.Ordinal);

        // The separate step once the gateway runs with the new certificate: only the old one goes.
        var revoked = await Certs(pki, "revoke-superseded", Gateway);

        var crl = await CrlText(pki);
        Assert.Contains(old.SerialNumber, crl, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Superseded", crl, StringComparison.Ordinal);
        Assert.DoesNotContain(current.SerialNumber, crl, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("crl.pem", revoked.Output, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(pki.Path, "revoked", $"{Gateway}-{old.SerialNumber}", Gateway + ".crt")));
        Assert.False(Directory.Exists(Path.Combine(pki.Path, "superseded", $"{Gateway}-{old.SerialNumber}")));
        Assert.Equal(current.RawData, X509CertificateLoader.LoadCertificateFromFile(crt).RawData);
        Assert.Equal(clients, await File.ReadAllTextAsync(Path.Combine(pki.Path, "clients")));
        Assert.Equal(acl, await File.ReadAllTextAsync(Path.Combine(pki.Path, "broker", "acl")));

        // Run again (configuration management): nothing left to revoke, nothing changed.
        var nothing = await Certs(pki, "revoke-superseded", Gateway);
        Assert.Contains("no superseded certificate", nothing.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Revoking_a_gateway_also_revokes_its_superseded_certificates_which_share_its_key()
    {
        using var pki = new TempDirectory();
        var crt = Path.Combine(pki.Path, "gateways", Gateway, Gateway + ".crt");
        await Certs(pki, "init-ca");
        await Certs(pki, "gateway", Site, Gateway);
        var old = X509CertificateLoader.LoadCertificateFromFile(crt);
        await Certs(pki, "renew", Gateway);
        var current = X509CertificateLoader.LoadCertificateFromFile(crt);

        // A lost key: the superseded certificate holds the same key and must not stay valid.
        await Certs(pki, "revoke", Gateway);

        var crl = await CrlText(pki);
        Assert.Contains(old.SerialNumber, crl, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(current.SerialNumber, crl, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("superseded (still valid)", (await Certs(pki, "list")).Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Init_ca_creates_the_superseded_folder_so_list_works_before_any_renew()
    {
        // list read superseded/ under set -euo pipefail; init-ca did not create it, so list printed
        // nothing and exited 1 until a first renew: the office README's "see: certs.sh list" failed.
        using var pki = new TempDirectory();
        await Certs(pki, "init-ca");
        await Certs(pki, "office", "console-1");
        await Certs(pki, "gateway", Site, Gateway);

        Assert.True(Directory.Exists(Path.Combine(pki.Path, "superseded")), "init-ca made no superseded/");
        var list = (await Certs(pki, "list")).Output;
        Assert.Contains("valid    /CN=console-1 serial ", list, StringComparison.Ordinal);
        Assert.Contains($"valid    /OU={Site}/CN={Gateway} serial ", list, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pki_made_before_superseded_existed_lists_revokes_and_renews()
    {
        // A CA folder init-ca made before it created superseded/: every subcommand that reads that
        // folder works without it, and the first renew creates it.
        using var pki = new TempDirectory();
        await Certs(pki, "init-ca");
        await Certs(pki, "gateway", Site, Gateway);
        await Certs(pki, "gateway", Site, "gw-annex");
        var superseded = Path.Combine(pki.Path, "superseded");
        if (Directory.Exists(superseded))
        {
            Directory.Delete(superseded, recursive: true);
        }

        await Certs(pki, "revoke", "gw-annex");
        var list = (await Certs(pki, "list")).Output;
        Assert.Contains($"revoked  /OU={Site}/CN=gw-annex serial ", list, StringComparison.Ordinal);
        Assert.Contains($"valid    /OU={Site}/CN={Gateway} serial ", list, StringComparison.Ordinal);
        var nothing = await Certs(pki, "revoke-superseded", Gateway);
        Assert.Contains("no superseded certificate", nothing.Output, StringComparison.Ordinal);

        await Certs(pki, "renew", Gateway);
        Assert.Contains($"superseded (still valid) /OU={Site}/CN={Gateway} serial ", (await Certs(pki, "list")).Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("gw-unknown", "no valid certificate named 'gw-unknown'")]
    [InlineData("broker", "certs.sh revoke broker --reason superseded")]
    public async Task Renew_refuses_a_name_without_a_certificate_saying_what_to_run(string name, string advice)
    {
        using var pki = new TempDirectory();
        await Certs(pki, "init-ca");

        var result = await Run("bash", Path.Combine(Scripts.RepoRoot, "deploy/office/certs.sh"), "--dir", pki.Path, "renew", name);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(advice, result.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(pki.Path, "superseded", name)));
    }

    // The values went into the subjectAltName list unchecked: a typo such as "x,DNS:*" put a
    // wildcard name into the broker's certificate.
    [Theory]
    [InlineData("--dns", "x,DNS:*")]
    [InlineData("--ip", "10.0.0.1,DNS:evil.example")]
    public async Task A_broker_san_value_that_is_not_an_address_or_name_is_refused(string option, string value)
    {
        using var pki = new TempDirectory();
        await Certs(pki, "init-ca");

        var refused = await Scripts.RunAsync("deploy/office/certs.sh", Patience, ["--dir", pki.Path, "broker", "broker.office.example", option, value]);

        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains($"{option} '{value}' is not", refused.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(pki.Path, "broker", "broker.crt")), "a certificate was issued");
        var ok = await Certs(pki, "broker", "broker.office.example", "--ip", "10.8.0.1", "--ip", "fd00::1", "--dns", "mqtt.office.example");
        Assert.Equal(0, ok.ExitCode);
    }

    // Every certificate issued before certs.sh named the site has a CN only; renew is how each gets
    // its OU (deploy/office/README.md). Such a one is made here as the earlier certs.sh made it:
    // the same key and CA, subject /CN=GATEWAY.
    [Fact]
    public async Task Renew_gives_a_certificate_issued_without_a_site_its_site()
    {
        using var pki = new TempDirectory();
        await Certs(pki, "init-ca");
        await Certs(pki, "gateway", Site, Gateway);
        var folder = Path.Combine(pki.Path, "gateways", Gateway);
        var crt = Path.Combine(folder, Gateway + ".crt");
        var reissue = $"cd '{pki.Path}/ca' && openssl req -new -config openssl.cnf -key '{folder}/{Gateway}.key' -subj '/CN={Gateway}' -out '{folder}/old.csr' "
            + $"&& openssl ca -config openssl.cnf -batch -notext -extensions client_cert -days 30 -in '{folder}/old.csr' -out '{crt}'";
        var old = await Scripts.RunProgramAsync("bash", Patience, "-c", $"export EDGEGUARD_SAN=DNS:unused.invalid; {reissue}");
        Assert.True(old.ExitCode == 0, old.All);
        Assert.Equal($"CN={Gateway}", X509CertificateLoader.LoadCertificateFromFile(crt).Subject);

        await Certs(pki, "renew", Gateway);

        Assert.Equal($"CN={Gateway}, OU={Site}", X509CertificateLoader.LoadCertificateFromFile(crt).Subject);
    }

    // The README has the CA key kept offline. init-ca's only guard was ca/ca.key: run again
    // without it (configuration management, a technician following "run init-ca"), it started a
    // new CA over the old one: index.txt (the revocation history) emptied, ca.crt and
    // broker/ca.crt replaced, clients emptied and with it the broker's ACL.
    [Fact]
    public async Task Init_ca_refuses_a_folder_that_holds_a_ca_whose_key_was_moved_offline_and_changes_nothing()
    {
        using var pki = new TempDirectory();
        using var offline = new TempDirectory();
        await Certs(pki, "init-ca");
        await Certs(pki, "gateway", Site, Gateway);
        File.Move(Path.Combine(pki.Path, "ca", "ca.key"), Path.Combine(offline.Path, "ca.key"));
        var before = await Scripts.TreeListingAsync(pki.Path);

        var again = await Scripts.RunAsync("deploy/office/certs.sh", Patience, ["--dir", pki.Path, "init-ca"]);

        Assert.NotEqual(0, again.ExitCode);
        Assert.Contains($"{pki.Path} holds a CA without its key ca/ca.key (found: ca/ca.crt ca/index.txt", again.Error, StringComparison.Ordinal);
        Assert.Contains("clients broker/ca.crt", again.Error, StringComparison.Ordinal);
        Assert.Contains($"copy it back to {pki.Path}/ca/ca.key", again.Error, StringComparison.Ordinal);
        Assert.Equal(before, await Scripts.TreeListingAsync(pki.Path));
        Assert.Contains($"gateway {Site} {Gateway}", await File.ReadAllTextAsync(Path.Combine(pki.Path, "clients")), StringComparison.Ordinal);
    }

    // Values openssl refuses: init-ca had written ca.key before openssl req failed, so it left a
    // key without ca.crt, and every later init-ca refused ("restore ca.crt from a backup") though
    // no backup of a CA that never was could exist.
    [Theory]
    [InlineData("--days", "abc", "--days 'abc' is not a number of days")]
    [InlineData("--name", "Ops/Comms CA", "--name 'Ops/Comms CA' must be 1-64 of")]
    public async Task Init_ca_refuses_a_value_openssl_cannot_take_before_it_makes_anything_and_a_corrected_run_works(string option, string value, string message)
    {
        using var pki = new TempDirectory();

        var refused = await Scripts.RunAsync("deploy/office/certs.sh", Patience, ["--dir", pki.Path, "init-ca", option, value]);

        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains(message, refused.Error, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(pki.Path));
        var created = await Certs(pki, "init-ca");
        Assert.Contains("created CA 'EdgeGuard office CA'", created.Output, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(pki.Path, "ca", "ca.key")));
        Assert.Equal("CN=EdgeGuard office CA", X509CertificateLoader.LoadCertificateFromFile(Path.Combine(pki.Path, "ca", "ca.crt")).Subject);
    }

    // A certificate past its CA's end fails its chain whatever its own end says, and the gateway's
    // warning of its end (fault.certificate, 30 days before) then named a date that never came.
    [Fact]
    public async Task A_certificate_asked_for_past_the_cas_end_ends_with_the_ca_and_says_so()
    {
        using var pki = new TempDirectory();
        await Certs(pki, "init-ca", "--days", "20");
        var ca = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(pki.Path, "ca", "ca.crt"));

        var issued = await Certs(pki, "gateway", Site, Gateway, "--days", "1095");
        var shorter = await Certs(pki, "office", "ops", "--days", "5");

        var gateway = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(pki.Path, "gateways", Gateway, Gateway + ".crt"));
        Assert.Equal(ca.NotAfter, gateway.NotAfter);
        Assert.Contains($"the CA ends on {ca.NotAfter.ToUniversalTime():yyyy-MM-dd HH:mm:ss} UTC, before 1095 days from now: {Gateway}'s certificate ends with it", issued.Output, StringComparison.Ordinal);
        var office = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(pki.Path, "office", "ops", "ops.crt"));
        Assert.True(office.NotAfter < DateTime.Now.AddDays(6), $"office certificate until {office.NotAfter:O}");
        Assert.DoesNotContain("the CA ends on", shorter.Output, StringComparison.Ordinal);
    }

    // A CA ending within a day gave a certificate ending with it, and renew put that over the
    // working one: refused, nothing issued or replaced.
    [Fact]
    public async Task A_ca_ending_within_a_day_issues_and_renews_nothing()
    {
        using var pki = new TempDirectory();
        await Certs(pki, "init-ca", "--days", "1");

        var refused = await Scripts.RunAsync("deploy/office/certs.sh", Patience, ["--dir", pki.Path, "gateway", Site, Gateway]);

        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("a certificate it issues now would end with it; issue a new CA and its certificates", refused.All, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(pki.Path, "gateways", Gateway, Gateway + ".crt")));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("ten")]
    [InlineData("-5")]
    public async Task Days_that_are_not_a_whole_number_from_1_are_refused_naming_the_value(string days)
    {
        using var pki = new TempDirectory();
        await Certs(pki, "init-ca");

        var refused = await Scripts.RunAsync("deploy/office/certs.sh", Patience, ["--dir", pki.Path, "gateway", Site, Gateway, "--days", days]);

        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains($"--days must be a whole number of days from 1, got '{days}'", refused.All, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(pki.Path, "gateways", Gateway, Gateway + ".crt")));
    }

    private static async Task<Scripts.Result> Certs(TempDirectory pki, params string[] args)
    {
        var result = await Scripts.RunAsync("deploy/office/certs.sh", Patience, ["--dir", pki.Path, .. args]);
        Assert.True(result.ExitCode == 0, $"certs.sh {string.Join(' ', args)}: {result.All}");
        return result;
    }

    private static async Task<string> CrlText(TempDirectory pki) =>
        (await Run("openssl", "crl", "-noout", "-text", "-in", Path.Combine(pki.Path, "broker", "crl.pem"))).Output;

    private static Task<Scripts.Result> Run(string command, params string[] args) => Scripts.RunProgramAsync(command, Patience, args);

    [Fact]
    public async Task A_renew_that_fails_supersedes_nothing_and_revoke_superseded_leaves_the_gateways_certificate_valid()
    {
        using var pki = new TempDirectory();
        var crt = Path.Combine(pki.Path, "gateways", ProvisionKit.Gateway, ProvisionKit.Gateway + ".crt");
        await Certs(pki, "init-ca");
        await Certs(pki, "gateway", ProvisionKit.Site, ProvisionKit.Gateway);
        var current = File.ReadAllBytes(crt);

        // A typo: openssl ca fails, renew exits 1 and no new certificate was issued.
        var renew = await Scripts.RunAsync("deploy/office/certs.sh", Patience, ["--dir", pki.Path, "renew", ProvisionKit.Gateway, "--days", "abc"]);
        Assert.NotEqual(0, renew.ExitCode);
        Assert.Equal(current, File.ReadAllBytes(crt));
        // init-ca made superseded/ empty: a renew that issued nothing must leave it so.
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(pki.Path, "superseded")));

        // Nothing was superseded, so nothing is revoked: the gateway's only certificate stays valid.
        var revoke = await Scripts.RunAsync("deploy/office/certs.sh", Patience, ["--dir", pki.Path, "revoke-superseded", ProvisionKit.Gateway]);
        Assert.Equal(0, revoke.ExitCode);
        Assert.Contains("no superseded certificate", revoke.Output, StringComparison.Ordinal);
        var index = await File.ReadAllTextAsync(Path.Combine(pki.Path, "ca", "index.txt"));
        Assert.DoesNotContain("R\t", index, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Revoke_with_a_superseded_record_of_the_current_certificate_still_writes_the_crl_and_keeps_the_revoked_key()
    {
        // A superseded record of the name's current certificate (what a renew that failed left
        // before a31a062): revoke's pass over the superseded ones met the serial it had just
        // revoked, openssl ca refused it again, and set -e ended revoke before the CRL was written.
        using var pki = new TempDirectory();
        var gw = ProvisionKit.Gateway;
        var crt = Path.Combine(pki.Path, "gateways", gw, gw + ".crt");
        await Certs(pki, "init-ca");
        await Certs(pki, "gateway", ProvisionKit.Site, gw);
        using var cert = X509CertificateLoader.LoadCertificateFromFile(crt);
        var left = Path.Combine(pki.Path, "superseded", gw + "-" + cert.SerialNumber);
        Directory.CreateDirectory(left);
        File.Copy(crt, Path.Combine(left, gw + ".crt"));

        var revoke = await Scripts.RunAsync("deploy/office/certs.sh", Patience, ["--dir", pki.Path, "revoke", gw]);

        Assert.Equal(0, revoke.ExitCode);
        Assert.Contains(cert.SerialNumber, await CrlText(pki), StringComparison.OrdinalIgnoreCase);
        // The folder revoke filed stays whole: the pass over the superseded ones deleted it to move
        // the leftover copy (the certificate alone) in its place, and the revoked key was gone.
        var filed = Path.Combine(pki.Path, "revoked", gw + "-" + cert.SerialNumber);
        Assert.True(File.Exists(Path.Combine(filed, gw + ".key")), $"revoked/{gw}-{cert.SerialNumber}/{gw}.key is gone");
        Assert.True(File.Exists(Path.Combine(filed, "ca.crt")), $"revoked/{gw}-{cert.SerialNumber}/ca.crt is gone");
        Assert.Equal(cert.RawData, X509CertificateLoader.LoadCertificateFromFile(Path.Combine(filed, gw + ".crt")).RawData);
        Assert.False(Directory.Exists(left), "the superseded record was left behind");
    }
}
