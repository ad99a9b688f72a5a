using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace EdgeGuard.Testing;

/// <summary>PEM files of a throw-away PKI: the office CA, the broker and some clients.</summary>
public sealed class TestPki
{
    private readonly string _directory;
    private readonly X509Certificate2 _ca;

    /// <summary>Creates a CA named <paramref name="name"/> and writes its certificate to <c>{name}-ca.pem</c>.</summary>
    /// <param name="directory">Where the files go.</param>
    /// <param name="name">The CA's name.</param>
    /// <param name="notBefore">The CA's start; two days ago when null.</param>
    /// <param name="notAfter">The CA's end; a year from now when null (issue with an explicit window before it).</param>
    public TestPki(string directory, string name = "office", DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null)
    {
        _directory = directory;
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=EdgeGuard test CA {name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        _ca = request.CreateSelfSigned(notBefore ?? DateTimeOffset.UtcNow.AddDays(-2), notAfter ?? DateTimeOffset.UtcNow.AddYears(1));
        CaFile = Path.Combine(directory, $"{name}-ca.pem");
        File.WriteAllText(CaFile, _ca.ExportCertificatePem());
    }

    /// <summary>The CA certificate PEM.</summary>
    public string CaFile { get; }

    /// <summary>Issues a broker certificate for 127.0.0.1 and localhost; returns (cert, key) PEM paths.</summary>
    /// <param name="crlUrl">A CRL distribution point for the certificate to name, if any.</param>
    public (string Cert, string Key) IssueServer(string name = "broker", string? crlUrl = null)
    {
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        var crl = crlUrl is null ? null : CertificateRevocationListBuilder.BuildCrlDistributionPointExtension([crlUrl]);
        return Issue(name, "1.3.6.1.5.5.7.3.1", names.Build(), crl);
    }

    /// <summary>
    /// Issues a broker certificate for 127.0.0.1 and localhost valid from <paramref name="notBefore"/>
    /// to <paramref name="notAfter"/> (within the CA's window): an expired or not yet valid one.
    /// </summary>
    public (string Cert, string Key) IssueServer(string name, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        return Issue(name, "1.3.6.1.5.5.7.3.1", names.Build(), null, (notBefore, notAfter));
    }

    /// <summary>Issues a client certificate with CN = <paramref name="commonName"/> (the gateway id).</summary>
    /// <param name="commonName">The certificate's CN.</param>
    /// <param name="crlUrl">A CRL distribution point for the certificate to name, if any (another CA than certs.sh's).</param>
    public (string Cert, string Key) IssueClient(string commonName, string? crlUrl = null) =>
        Issue(commonName, "1.3.6.1.5.5.7.3.2", null, crlUrl is null ? null : CertificateRevocationListBuilder.BuildCrlDistributionPointExtension([crlUrl]));

    /// <summary>A gateway's client certificate as deploy/office/certs.sh issues it: its site as the OU, its id as the CN.</summary>
    public (string Cert, string Key) IssueGateway(string site, string gateway) => Issue(gateway, "1.3.6.1.5.5.7.3.2", null, unit: site);

    /// <summary>A client certificate whose one name part holds both its CN and an OU (CN=x+OU=y), as some CAs write them.</summary>
    public (string Cert, string Key) IssueMultiValued(string commonName, string unit)
    {
        var writer = new System.Formats.Asn1.AsnWriter(System.Formats.Asn1.AsnEncodingRules.DER);
        using (writer.PushSequence())
        using (writer.PushSetOf())
        {
            foreach (var (oid, value) in new[] { ("2.5.4.3", commonName), ("2.5.4.11", unit) })
            {
                using (writer.PushSequence())
                {
                    writer.WriteObjectIdentifier(oid);
                    writer.WriteCharacterString(System.Formats.Asn1.UniversalTagNumber.UTF8String, value);
                }
            }
        }

        return Issue(commonName, "1.3.6.1.5.5.7.3.2", null, subject: new X500DistinguishedName(writer.Encode()));
    }

    /// <summary>
    /// Issues a client certificate valid from <paramref name="notBefore"/> to <paramref name="notAfter"/>
    /// (within the CA's window; whole seconds, as X.509 keeps them), written over any earlier one
    /// of that <paramref name="commonName"/>: a renewal in place.
    /// </summary>
    public (string Cert, string Key) IssueClient(string commonName, DateTimeOffset notBefore, DateTimeOffset notAfter) =>
        Issue(commonName, "1.3.6.1.5.5.7.3.2", null, null, (notBefore, notAfter));

    private (string Cert, string Key) Issue(
        string commonName, string usage, X509Extension? alternativeNames, X509Extension? crl = null, (DateTimeOffset From, DateTimeOffset To)? window = null,
        string? unit = null, X500DistinguishedName? subject = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(
            subject ?? new X500DistinguishedName(unit is null ? $"CN={commonName}" : $"CN={commonName}, OU={unit}"), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(usage)], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(_ca, true, false));
        if (alternativeNames is not null)
        {
            request.CertificateExtensions.Add(alternativeNames);
        }

        if (crl is not null)
        {
            request.CertificateExtensions.Add(crl);
        }

        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        // Most of the CA's year: well clear of the 30 days before its end in which validate warns (TlsFile.ExpiryNotice).
        var (from, to) = window ?? (DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(360));
        using var certificate = request.Create(_ca, from, to, serial);
        var certFile = Path.Combine(_directory, $"{commonName}.crt");
        var keyFile = Path.Combine(_directory, $"{commonName}.key");
        File.WriteAllText(certFile, certificate.ExportCertificatePem());
        File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem());
        if (!OperatingSystem.IsWindows() && usage != "1.3.6.1.5.5.7.3.1")
        {
            // A client key as deploy/office/certs.sh writes it (0600): validate refuses one others
            // may read. (A broker's is left to the umask: Mosquitto may read it as its own user.)
            File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return (certFile, keyFile);
    }
}
