using System.Security.Cryptography;
using System.Text.Json.Nodes;

using static EdgeGuard.Deploy.Tests.ProvisionKit;

namespace EdgeGuard.Deploy.Tests;

/// <summary>
/// The TLS files provision-gateway.sh is given, checked before they replace anything: a CA that did
/// not issue the certificate, an older certificate over a renewed one, an encrypted key. Before,
/// the first two were installed ("updated", exit 0) and the gateway lost the office at its next
/// connect; the third was reported as "not a PEM private key".
/// </summary>
[Collection(ReleaseCollection.Name)]
public sealed class ProvisionTlsTests(ReleaseFixture release)
{
    // The old PKI folder's ca.crt after a CA re-key, with the new folder's certificate and key:
    // the gateway would refuse the broker at every connect.
    [Fact]
    public async Task A_ca_that_did_not_issue_the_certificate_is_refused_naming_both_files()
    {
        using var scratch = new TempDirectory();
        var other = new TestPki(scratch.Path, "old-office");
        using var root = BookwormRoot();

        var result = await ProvisionWith(release.Tarball, root.Path, "office.example:8883", (other.CaFile, release.CertFile, release.KeyFile), null);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"--ca '{other.CaFile}' did not issue --cert '{release.CertFile}'", result.Error, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(root.Path, "etc/edgeguard/tls")));
    }

    // openssl verify -CAfile also trusts the system's CA directory and store unless told not to: a
    // certificate from any CA found there (/etc/ssl/certs on a gateway; SSL_CERT_DIR here) passed
    // as issued by --ca, and the gateway, which pins --ca alone, then refused the broker.
    [Fact]
    public async Task A_certificate_from_a_ca_in_the_system_store_is_not_taken_as_issued_by_the_given_ca()
    {
        using var scratch = new TempDirectory();
        var system = new TestPki(scratch.Path, "system-store");
        var (cert, key) = system.IssueGateway(Site, Gateway);
        var store = Path.Combine(scratch.Path, "certs");
        Directory.CreateDirectory(store);
        File.Copy(system.CaFile, Path.Combine(store, "system-store.pem"));
        var rehash = await Scripts.RunProgramAsync("openssl", Patience, "rehash", store);
        Assert.True(rehash.ExitCode == 0, rehash.All);
        var environment = new Dictionary<string, string>(StringComparer.Ordinal) { ["SSL_CERT_DIR"] = store };
        var trusted = await Scripts.RunProgramAsync("bash", Patience, "-c", $"SSL_CERT_DIR='{store}' openssl verify -no_check_time -CAfile '{release.CaFile}' '{cert}'");
        Assert.True(trusted.ExitCode == 0, "the store is not one openssl's defaults trust: " + trusted.All);
        using var root = BookwormRoot();

        var result = await ProvisionWith(release.Tarball, root.Path, "office.example:8883", (release.CaFile, cert, key), environment);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"--ca '{release.CaFile}' did not issue --cert '{cert}'", result.Error, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(root.Path, "etc/edgeguard/tls")));
    }

    // The gateway trusts every certificate of its CA file (ClientOptionsFactory.LoadAnchors) as the
    // broker's issuer: a bundle (the office CA and another) passed because one of them issued
    // --cert, and the gateway then took a broker certificate from the other. --ca must be the office
    // CA alone: one certificate, self-signed, CA:TRUE, and nothing else in the file.
    [Theory]
    [InlineData("bundle", "holds 2 certificates")]
    [InlineData("key-inside", "holds a PRIVATE KEY")]
    [InlineData("not-self-signed", "is not self-signed")]
    [InlineData("not-a-ca", "is not a CA certificate")]
    [InlineData("der", "holds no PEM certificate")] // exported from Windows: was reported as holding a key
    public async Task A_ca_file_that_is_not_one_self_signed_ca_certificate_is_refused_saying_why(string kind, string message)
    {
        using var scratch = new TempDirectory();
        var (ca, cert, key) = (Path.Combine(scratch.Path, "ca.pem"), release.CertFile, release.KeyFile);
        switch (kind)
        {
            case "bundle":
                var other = new TestPki(scratch.Path, "other");
                await File.WriteAllTextAsync(ca, await File.ReadAllTextAsync(release.CaFile) + "\n" + await File.ReadAllTextAsync(other.CaFile));
                break;
            case "key-inside":
                var gatewayKey = new TestPki(scratch.Path, "keyed").IssueClient("someone").Key;
                await File.WriteAllTextAsync(ca, await File.ReadAllTextAsync(release.CaFile) + "\n" + await File.ReadAllTextAsync(gatewayKey));
                break;
            case "der":
                var der = await Scripts.RunProgramAsync("openssl", Patience, "x509", "-in", release.CaFile, "-outform", "DER", "-out", ca);
                Assert.True(der.ExitCode == 0, der.All);
                break;
            case "not-self-signed":
                // The gateway's own certificate, named as its CA: openssl takes it as a trust anchor.
                File.Copy(release.CertFile, ca);
                break;
            default:
                // A version 1 root (no extensions, so no CA:TRUE) that issued the gateway's certificate:
                // openssl verify accepts such a root.
                var made = await Scripts.RunProgramAsync("bash", Patience, "-c", $"""
                    set -e; cd '{scratch.Path}'
                    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout v1.key -out v1.csr -subj /CN=v1-root 2>/dev/null
                    openssl x509 -req -in v1.csr -signkey v1.key -days 30 -out ca.pem 2>/dev/null
                    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout gw.key -out gw.csr -subj '/CN={Gateway}/OU={Site}' 2>/dev/null
                    openssl x509 -req -in gw.csr -CA ca.pem -CAkey v1.key -CAcreateserial -days 20 -out gw.crt 2>/dev/null
                    chmod 600 gw.key
                    openssl verify -no_check_time -no-CApath -no-CAstore -CAfile ca.pem gw.crt
                    """);
                Assert.True(made.ExitCode == 0, made.All);
                (cert, key) = (Path.Combine(scratch.Path, "gw.crt"), Path.Combine(scratch.Path, "gw.key"));
                break;
        }

        using var root = BookwormRoot();

        var result = await ProvisionWith(release.Tarball, root.Path, "office.example:8883", (ca, cert, key), null);

        Assert.True(result.ExitCode == 1, result.All);
        Assert.True(result.Error.Contains($"--ca '{ca}' {message}", StringComparison.Ordinal), result.All);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(root.Path, "etc/edgeguard/tls")));
    }

    // The technician's copy from the first install, given again on an upgrade after the office
    // renewed the gateway's certificate: the old one (perhaps revoked since) must not come back.
    [Fact]
    public async Task An_older_certificate_does_not_replace_a_newer_installed_one_unless_forced()
    {
        using var scratch = new TempDirectory();
        var now = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        var pki = new TestPki(scratch.Path, "office", now.AddDays(-60), now.AddYears(2));
        var older = Copy(pki.IssueClient(Gateway, now.AddDays(-50), now.AddDays(300)), scratch, "older");
        var newer = Copy(pki.IssueClient(Gateway, now.AddDays(-1), now.AddDays(600)), scratch, "newer");
        // Issued in the same second as the newer one (certs.sh issue, revoke, issue again in a
        // script), ending sooner: the older of the two all the same.
        var sameStart = Copy(pki.IssueClient(Gateway, now.AddDays(-1), now.AddDays(40)), scratch, "same-start");
        using var root = BookwormRoot();
        var installed = Path.Combine(root.Path, "etc/edgeguard/tls/gateway.crt");
        var first = await ProvisionWith(release.Tarball, root.Path, "office.example:8883", (pki.CaFile, newer.Cert, newer.Key), null);
        Assert.True(first.ExitCode == 0, first.All);

        var refused = await ProvisionWith(release.Tarball, root.Path, "office.example:8883", (pki.CaFile, older.Cert, older.Key), null);

        Assert.Equal(1, refused.ExitCode);
        Assert.Contains($"--cert '{older.Cert}' is older than the installed /etc/edgeguard/tls/gateway.crt", refused.Error, StringComparison.Ordinal);
        Assert.Contains("--force", refused.Error, StringComparison.Ordinal);
        Assert.Equal(await File.ReadAllBytesAsync(newer.Cert), await File.ReadAllBytesAsync(installed));
        Assert.Equal(await File.ReadAllBytesAsync(newer.Key), await File.ReadAllBytesAsync(Path.Combine(root.Path, "etc/edgeguard/tls/gateway.key")));
        Assert.Empty(Leftovers(root.Path));
        var sameSecond = await ProvisionWith(release.Tarball, root.Path, "office.example:8883", (pki.CaFile, sameStart.Cert, sameStart.Key), null);
        Assert.Equal(1, sameSecond.ExitCode);
        Assert.Contains($"--cert '{sameStart.Cert}' is older than the installed", sameSecond.Error, StringComparison.Ordinal);
        Assert.Equal(await File.ReadAllBytesAsync(newer.Cert), await File.ReadAllBytesAsync(installed));

        var forced = await ProvisionWith(release.Tarball, root.Path, "office.example:8883", (pki.CaFile, older.Cert, older.Key), null, "--force");

        Assert.True(forced.ExitCode == 0, forced.All);
        Assert.Equal(await File.ReadAllBytesAsync(older.Cert), await File.ReadAllBytesAsync(installed));
    }

    // A passphrase-protected key was reported as "not a PEM private key", which sent the
    // technician looking for a format problem: the gateway cannot use an encrypted key at all.
    [Fact]
    public async Task An_encrypted_key_is_refused_saying_the_gateway_needs_it_unencrypted()
    {
        using var scratch = new TempDirectory();
        var encrypted = Path.Combine(scratch.Path, "gw.key");
        using (var key = ECDsa.Create())
        {
            key.ImportFromPem(await File.ReadAllTextAsync(release.KeyFile));
            var pbe = new PbeParameters(
                PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 100_000);
            await File.WriteAllTextAsync(encrypted, key.ExportEncryptedPkcs8PrivateKeyPem("secret", pbe));
        }

        File.SetUnixFileMode(encrypted, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        using var root = BookwormRoot();

        var result = await ProvisionWith(release.Tarball, root.Path, "office.example:8883", (release.CaFile, release.CertFile, encrypted), null);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"--key '{encrypted}' is encrypted", result.Error, StringComparison.Ordinal);
        Assert.Contains("unencrypted", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("not a PEM private key", result.Error, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(root.Path, "etc/edgeguard/tls")));
    }

    // The technician's copy of the key, brought on a USB stick or from Windows (0644), stayed
    // readable by every account on the gateway after the run, unmentioned.
    [Fact]
    public async Task A_key_others_can_read_is_installed_with_a_warning_to_remove_the_copy()
    {
        using var scratch = new TempDirectory();
        var copy = Path.Combine(scratch.Path, "gw.key");
        File.Copy(release.KeyFile, copy);
        File.SetUnixFileMode(copy, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        using var root = BookwormRoot();

        var result = await ProvisionWith(release.Tarball, root.Path, "office.example:8883", (release.CaFile, release.CertFile, copy), null);

        Assert.True(result.ExitCode == 0, result.All);
        Assert.Contains($"provision-gateway: warning: --key '{copy}' can be read by others (mode 644)", result.Error, StringComparison.Ordinal);
        Assert.Contains($"shred -u '{copy}'", result.Error, StringComparison.Ordinal);

        File.SetUnixFileMode(copy, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var again = await ProvisionWith(release.Tarball, root.Path, "office.example:8883", (release.CaFile, release.CertFile, copy), null);
        Assert.True(again.ExitCode == 0, again.All);
        Assert.DoesNotContain("can be read by others", again.Error, StringComparison.Ordinal);
    }

    // A renewal keeps the key (office README, "Renew"), so the technician names the installed one. Its
    // 0640 is the service's: the warning told them to shred the gateway's live key.
    [Fact]
    public async Task The_installed_key_named_again_for_a_renewal_gets_no_warning_to_remove_it()
    {
        using var root = BookwormRoot();
        Assert.Equal(0, (await release.Provision(root.Path)).ExitCode);
        var installed = Path.Combine(root.Path, "etc/edgeguard/tls/gateway.key");
        Assert.Equal("640", Scripts.Mode(installed));

        var renewal = await ProvisionWith(release.Tarball, root.Path, "office.example:8883", (release.CaFile, release.CertFile, installed), null);

        Assert.True(renewal.ExitCode == 0, renewal.All);
        Assert.DoesNotContain("can be read by others", renewal.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("shred", renewal.Error, StringComparison.Ordinal);
    }

    // A template that keeps the gateway's default revocation check, with certificates from the
    // office CA (no CRL or OCSP address): validated, enabled, and then every connect failed.
    [Fact]
    public async Task A_revocation_check_the_office_ca_cannot_answer_is_refused_before_anything_is_installed()
    {
        using var scratch = new TempDirectory();
        var config = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(Scripts.RepoRoot, "src/EdgeGuard/appsettings.json")))!;
        config["EdgeGuard"]!["mqtt"] = new JsonObject { ["tls"] = new JsonObject { ["revocation"] = "online" } };
        var template = Path.Combine(scratch.Path, "site.json");
        await File.WriteAllTextAsync(template, config.ToJsonString());
        using var root = BookwormRoot();

        var result = await release.Provision(root.Path, "office.example:8883", "--config-template", template);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("mqtt.tls.revocation 'online'", result.Error, StringComparison.Ordinal);
        Assert.Contains("noCheck", result.Error, StringComparison.Ordinal);
        Assert.False(Path.Exists(Path.Combine(root.Path, "etc/edgeguard/appsettings.json")));
        Assert.False(Path.Exists(Path.Combine(root.Path, "etc/systemd/system/multi-user.target.wants/edgeguard.service")));
    }

    // A certificate from a CA that names a CRL (here) or OCSP address, whose openssl x509 -text runs
    // long (an RSA-4096 key, many names): grep -q stopped reading at the CRL line, openssl died of
    // SIGPIPE writing the rest, pipefail failed the check, --revocation-url was not passed and the
    // template's revocation check was refused as one "the office CA cannot answer". The openssl
    // here is the real one with megabytes more after the certificate's text, failing as openssl
    // does when its reader has gone: the race made certain.
    [Fact]
    public async Task A_revocation_check_is_kept_when_the_certificate_names_a_crl_however_long_its_text()
    {
        using var scratch = new TempDirectory();
        var pki = new TestPki(scratch.Path, "office-with-crl");
        var issued = Copy(pki.IssueClient(Gateway, "http://pki.example/office.crl"), scratch, "crl");
        var config = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(Scripts.RepoRoot, "src/EdgeGuard/appsettings.json")))!;
        config["EdgeGuard"]!["mqtt"] = new JsonObject { ["tls"] = new JsonObject { ["revocation"] = "online" } };
        var template = Path.Combine(scratch.Path, "site.json");
        await File.WriteAllTextAsync(template, config.ToJsonString());
        using var root = BookwormRoot();

        var result = await ProvisionWith(release.Tarball, root.Path, "office.example:8883", (pki.CaFile, issued.Cert, issued.Key),
            WithLongCertificateText(scratch), "--config-template", template);

        Assert.True(result.ExitCode == 0, result.All);
        Assert.DoesNotContain("mqtt.tls.revocation", result.Error, StringComparison.Ordinal);
        var installed = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(root.Path, "etc/edgeguard/appsettings.json")))!;
        Assert.Equal("online", (string?)installed["EdgeGuard"]!["mqtt"]!["tls"]!["revocation"]);
    }

    // certs.sh names the gateway's site as the certificate's OU. A --site typo was installed,
    // validated and started, and every publish was refused by the broker's ACL, after the
    // technician had left. A certificate issued before certs.sh wrote the OU is noted, not refused.
    [Fact]
    public async Task A_certificate_issued_for_another_site_is_refused_and_one_that_names_no_site_is_noted()
    {
        using var scratch = new TempDirectory();
        var pki = new TestPki(scratch.Path, "office");
        var elsewhere = Copy(pki.IssueGateway("embassy-y", Gateway), scratch, "elsewhere");
        var here = Copy(pki.IssueGateway(Site, Gateway), scratch, "here");
        using var root = BookwormRoot();

        var refused = await ProvisionWith(release.Tarball, root.Path, "office.example:8883", (pki.CaFile, elsewhere.Cert, elsewhere.Key), null);

        Assert.Equal(1, refused.ExitCode);
        Assert.Contains($"--cert is issued for site 'embassy-y', not '{Site}' (--site)", refused.Error, StringComparison.Ordinal);
        Assert.Contains($"edgeguard/v1/embassy-y/{Gateway}/#", refused.Error, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(root.Path, "etc/edgeguard/tls")));

        var installed = await ProvisionWith(release.Tarball, root.Path, "office.example:8883", (pki.CaFile, here.Cert, here.Key), null);
        Assert.True(installed.ExitCode == 0, installed.All);
        Assert.DoesNotContain("names no site", installed.All, StringComparison.Ordinal);

        using var older = BookwormRoot();
        var noSite = await ProvisionWith(release.Tarball, older.Path, "office.example:8883", (release.CaFile, release.CertFile, release.KeyFile), null);
        Assert.True(noSite.ExitCode == 0, noSite.All);
        Assert.Contains($"--cert names no site (issued before certs.sh wrote one): --site '{Site}' is checked only by the broker's ACL", noSite.Output, StringComparison.Ordinal);
    }

    // Every check above ran only "if command -v openssl": on a machine without it they were
    // skipped, and a CA that did not issue the certificate (here) or an older certificate was
    // installed, exit 0, though deploy/README.md says they always run.
    [Fact]
    public async Task Tls_files_are_refused_when_openssl_is_missing_naming_it_and_how_to_install_it()
    {
        using var scratch = new TempDirectory();
        var other = new TestPki(scratch.Path, "old-office");
        using var root = BookwormRoot();

        var result = await ProvisionWith(release.Tarball, root.Path, "office.example:8883", (other.CaFile, release.CertFile, release.KeyFile), WithoutOpenssl(scratch));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("provision-gateway: error: openssl is needed to check --ca, --cert and --key", result.Error, StringComparison.Ordinal);
        Assert.Contains("apt-get install openssl", result.Error, StringComparison.Ordinal);
        Assert.False(Path.Exists(Path.Combine(root.Path, "etc/edgeguard")), "something was installed");
    }

    // A PATH whose openssl is the real one, but whose -text output goes on for megabytes after the
    // certificate's own (as thousands of names would), and which fails (SIGPIPE, or EPIPE where it
    // is ignored) when its reader stops before the end: more than a pipe holds, so a reader that
    // exits at its first match always leaves it writing.
    private static Dictionary<string, string> WithLongCertificateText(TempDirectory scratch)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin";
        var real = path.Split(':', StringSplitOptions.RemoveEmptyEntries).Select(folder => Path.Combine(folder, "openssl")).First(File.Exists);
        var bin = Path.Combine(scratch.Path, "long-text-bin");
        Directory.CreateDirectory(bin);
        var shim = Path.Combine(bin, "openssl");
        File.WriteAllText(shim, $"""
            #!/bin/sh
            case " $* " in
              *" -text "*)
                '{real}' "$@" || exit
                yes '                DNS:gw-lobby.example.org, DNS:gw-lobby.example.net,' | head -c 4000000
                exit ;;
            esac
            exec '{real}' "$@"

            """);
        File.SetUnixFileMode(shim, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return new Dictionary<string, string>(StringComparer.Ordinal) { ["PATH"] = bin + ":" + path };
    }

    // A PATH with everything this one has but openssl: a link to each program of each of its
    // directories, the first of a name winning, as on the PATH itself.
    private static Dictionary<string, string> WithoutOpenssl(TempDirectory scratch)
    {
        var bin = Path.Combine(scratch.Path, "no-openssl-bin");
        Directory.CreateDirectory(bin);
        foreach (var folder in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!Directory.Exists(folder))
            {
                continue;
            }

            foreach (var program in Directory.EnumerateFiles(folder))
            {
                var name = Path.GetFileName(program);
                var link = Path.Combine(bin, name);
                if (!string.Equals(name, "openssl", StringComparison.Ordinal) && !Path.Exists(link)
                    && File.Exists(program) && File.GetUnixFileMode(program).HasFlag(UnixFileMode.UserExecute))
                {
                    File.CreateSymbolicLink(link, program);
                }
            }
        }

        Assert.False(File.Exists(Path.Combine(bin, "openssl")));
        return new Dictionary<string, string>(StringComparer.Ordinal) { ["PATH"] = bin };
    }

    private static (string Cert, string Key) Copy((string Cert, string Key) issued, TempDirectory scratch, string name)
    {
        var folder = Path.Combine(scratch.Path, name);
        Directory.CreateDirectory(folder);
        var copy = (Cert: Path.Combine(folder, "gw.crt"), Key: Path.Combine(folder, "gw.key"));
        File.Copy(issued.Cert, copy.Cert);
        File.Copy(issued.Key, copy.Key);
        File.SetUnixFileMode(copy.Key, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return copy;
    }
}
