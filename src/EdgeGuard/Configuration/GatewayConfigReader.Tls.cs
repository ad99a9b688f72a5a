using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Mqtt.Publishing;

namespace EdgeGuard.Configuration;

// mqtt.tls: the gateway's own TLS files, read (when validating) as the MQTT connection reads them.
public static partial class GatewayConfigReader
{
    private sealed partial class Run
    {
        // The site and gateway ids as read (null where refused), for the certificate's names.
        private (string? Site, string? Gateway) _identity;

        private MqttTlsOptions? Tls(ConfigNode node, bool brokerTakesCertificateName)
        {
            if (!node.IsPresent)
            {
                // No tls section: plain TCP, allowed only to a loopback broker (quick start); see
                // RequireEncryptionOffLoopback for an office broker.
                return MqttTlsOptions.Disabled;
            }

            if (!_w.Object(node, null, TlsKeys))
            {
                return null;
            }

            var enabled = _w.Bool(node.Child("enabled"), null, fallback: true);
            var ca = ExistingFile(node.Child("caFile"), privateKey: false, out var caPem);
            var cert = ExistingFile(node.Child("certFile"), privateKey: false, out var certPem);
            var key = ExistingFile(node.Child("keyFile"), privateKey: true, out var keyPem);
            // Given, not read: a path refused for a control character is not also "missing".
            static bool Given(ConfigNode n) => n.Shape == NodeShape.Value && !string.IsNullOrWhiteSpace(n.Section.Value);
            if (Given(node.Child("certFile")) != Given(node.Child("keyFile")))
            {
                _w.Error(node.Child(cert is null ? "certFile" : "keyFile"), null, "a client certificate needs both certFile and keyFile");
            }

            if (enabled == true && loadFiles)
            {
                LoadsAsTls(node, (ca, caPem), (cert, certPem), (key, keyPem), brokerTakesCertificateName);
            }

            if (keyPem is not null)
            {
                CryptographicOperations.ZeroMemory(keyPem);
            }

            var revocation = _w.Enum(node.Child("revocation"), null, required: false, RevocationModes, X509RevocationMode.Online);
            var serverName = _w.Scalar(node.Child("serverName"), null, required: false);
            return enabled is null || revocation is null
                ? null
                : new MqttTlsOptions
                {
                    Enabled = enabled.Value,
                    CaCertificateFile = ca,
                    ClientCertificateFile = cert,
                    ClientKeyFile = key,
                    RevocationMode = revocation.Value,
                    ServerName = serverName,
                };
        }

        /// <summary>
        /// A TLS file path that must exist when given. When validating (provisioning) a missing or
        /// unreadable file is an error: caught there, not as a TLS failure at every connect later.
        /// At <c>run</c> a missing one is a warning only: a file removed after provisioning (a
        /// rotation gone wrong) costs the office link, which says why, never the site's protection;
        /// systemd would otherwise restart the gateway into the same refusal forever. When
        /// validating, <paramref name="content"/> is the file's bytes, read as the connection reads
        /// them (<see cref="TlsFile.TryRead"/>: a pipe at the path is refused, never waited on), and
        /// the file and its folder are held to <see cref="TlsFile.ModeProblem"/> (a key others may
        /// read, a file or folder group or others may write), as operator key files are. At
        /// <c>run</c> they are not: a mode changed after provisioning must not stop the site's
        /// protection.
        /// </summary>
        private string? ExistingFile(ConfigNode node, bool privateKey, out byte[]? content)
        {
            content = null;
            var path = FilePath(node, null, required: false);
            // A directory on the way the service cannot enter is "cannot be read (permission
            // denied)", not "does not exist": the file is there, its directory's mode is the fix.
            if (path is not null && TlsFile.Absence(path) is { } absence)
            {
                var until = absence == TlsFile.Missing ? "until it is back" : "until it can be read";
                RefusedByValidate(node, null, $"file '{path}' {absence}",
                    $"file '{path}' {absence}: the gateway runs without the office link {until} (read at every connect attempt, no restart needed)");
            }
            else if (path is not null && loadFiles)
            {
                if (TlsFile.TryRead(path, out var bytes, file => OperatingSystem.IsLinux() ? TlsFile.ModeProblem(file, privateKey) : null) is { } unreadable)
                {
                    _w.Error(node, null, unreadable);
                }
                else
                {
                    content = bytes;
                }
            }

            return path;
        }

        // The files loaded as the MQTT connection will load them (ClientOptionsFactory): an encrypted
        // or mismatched key, or a CA file with no certificate, otherwise passes validate and leaves
        // the gateway offline for good, each connect failing with the same log line.
        private void LoadsAsTls(ConfigNode node, (string? Path, byte[]? Pem) ca, (string? Path, byte[]? Pem) cert, (string? Path, byte[]? Pem) key, bool brokerTakesCertificateName)
        {
            if (ca.Pem is not null)
            {
                try
                {
                    var anchors = new X509Certificate2Collection();
                    anchors.ImportFromPem(Encoding.UTF8.GetString(ca.Pem));
                    if (anchors.Count == 0)
                    {
                        _w.Error(node.Child("caFile"), null, $"file '{ca.Path}' holds no PEM certificate");
                    }
                    else
                    {
                        // The anchor the running gateway judges too (CertificateExpiryChecks).
                        var soonest = TlsFile.JudgedAnchor(anchors)!;
                        Validity(node.Child("caFile"), $"the CA certificate '{soonest.Subject}' in '{ca.Path}'", soonest,
                            expired: "no broker certificate chains to it, so the gateway refuses the broker; renew it at the office (deploy/office/certs.sh init-ca, then the broker's and gateways' certificates) and provision it again",
                            renew: "renew it at the office before then, or the gateway refuses the broker");
                    }

                    foreach (var anchor in anchors)
                    {
                        anchor.Dispose();
                    }
                }
                catch (CryptographicException ex)
                {
                    _w.Error(node.Child("caFile"), null, $"file '{ca.Path}' is not a PEM certificate: {ex.Message}");
                }
            }

            if (cert.Pem is not null && key.Pem is not null)
            {
                var keyText = Encoding.UTF8.GetChars(key.Pem);
                try
                {
                    using var certificate = X509Certificate2.CreateFromPem(Encoding.UTF8.GetChars(cert.Pem), keyText);
                    Validity(node.Child("certFile"), $"the client certificate '{cert.Path}'", certificate,
                        expired: $"the broker refuses it; renew it at the office ({CertificateFault.RenewCommand}) and provision it again",
                        renew: $"renew it at the office ({CertificateFault.RenewCommand}) before then, or the broker refuses the gateway");
                    Names(node.Child("certFile"), cert.Path!, certificate, brokerTakesCertificateName);
                }
                catch (Exception ex) when (ex is CryptographicException or ArgumentException) // ArgumentException: another certificate's key
                {
                    _w.Error(node.Child("keyFile"), null, $"the client certificate '{cert.Path}' and key '{key.Path}' do not load as a pair (an encrypted key, or one that is not this certificate's?): {ex.Message}");
                }
                finally
                {
                    Array.Clear(keyText);
                }
            }
        }

        // An expired client certificate (certs.sh issues them for 1095 days) passed validate and
        // the broker then refused every connection; one near its end gave no notice. So did an
        // expired pinned CA, in which no broker's chain can end. The window is checked against this
        // machine's clock, which the message gives, since a wrong clock is the other way to be
        // outside it. What: the certificate, named; expired, renew: what follows each's words.
        private void Validity(ConfigNode node, string what, X509Certificate2 certificate, string expired, string renew)
        {
            var now = DateTimeOffset.UtcNow;
            var from = new DateTimeOffset(certificate.NotBefore.ToUniversalTime());
            var to = new DateTimeOffset(certificate.NotAfter.ToUniversalTime());
            var window = $"valid from {Utc(from)} to {Utc(to)}, and this machine's clock reads {Utc(now)}";
            if (now > to)
            {
                _w.Error(node, null, $"{what} has expired ({window}): {expired}");
            }
            else if (now < from)
            {
                _w.Error(node, null, $"{what} is not yet valid ({window}): check this machine's clock, or wait for the certificate's start");
            }
            else if (to - now <= TlsFile.ExpiryNotice)
            {
                _w.Warning(node, $"{what} expires {Utc(to)}, in {(int)(to - now).TotalDays} days: {renew}");
            }
        }

        // The office broker takes the certificate's CN as the gateway's user name, and certs.sh
        // names the gateway's site as its OU; the ACL grants that name only
        // edgeguard/v1/SITE/GATEWAY/#. A config whose gateway or site is not the certificate's
        // (a typo, a certificate of another gateway) validated, connected, and had every publish
        // refused. Not when an mqtt.username stands for the gateway instead (the broker's ACL is
        // then that name's); the OU only when the certificate names one (certs.sh did not before
        // 2026-12-06).
        private void Names(ConfigNode node, string path, X509Certificate2 certificate, bool brokerTakesCertificateName)
        {
            if (!brokerTakesCertificateName)
            {
                return;
            }

            var (site, gateway) = _identity;
            var cn = certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
            if (gateway is not null && !string.Equals(cn, gateway, StringComparison.Ordinal))
            {
                _w.Error(node, null, $"the client certificate '{path}' is issued to CN '{cn}', not to gateway '{gateway}': the office broker takes the CN as the gateway's user name and grants it only its own topics; use the certificate of deploy/office/certs.sh gateway {site} {gateway}");
            }

            // A multi-valued part (CN=x+OU=y, another CA's) has no single element: not certs.sh's.
            var ou = certificate.SubjectName.EnumerateRelativeDistinguishedNames()
                .Where(rdn => !rdn.HasMultipleElements && rdn.GetSingleElementType().Value == "2.5.4.11") // id-at-organizationalUnitName
                .Select(rdn => rdn.GetSingleElementValue())
                .FirstOrDefault();
            if (site is not null && ou is not null && !string.Equals(ou, site, StringComparison.Ordinal))
            {
                _w.Error(node, null, $"the client certificate '{path}' is issued for site '{ou}', not '{site}': the office broker grants {cn} only edgeguard/v1/{ou}/{cn}/#, so every publish would be refused; set site to '{ou}', or use the certificate of deploy/office/certs.sh gateway {site} {gateway}");
            }
        }

        private static string Utc(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
    }
}
