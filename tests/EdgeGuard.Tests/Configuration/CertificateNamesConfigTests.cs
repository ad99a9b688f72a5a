using EdgeGuard.Configuration;

namespace EdgeGuard.Tests.Configuration;

/// <summary>
/// <c>validate</c> holds the client certificate's names to the config: the office broker takes its
/// CN as the gateway's user name, and deploy/office/certs.sh names the gateway's site as its OU; the
/// ACL grants that name only <c>edgeguard/v1/SITE/GATEWAY/#</c>. A site or gateway id that is not
/// the certificate's (a typo, another gateway's certificate) validated, connected, and had every
/// publish refused, which the office saw only as a gateway that never came online.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class CertificateNamesConfigTests : IDisposable
{
    private const string CertFile = "EdgeGuard:mqtt:tls:certFile";
    private readonly TempDirectory _dir = new();
    private readonly TestPki _pki;

    public CertificateNamesConfigTests() => _pki = new TestPki(_dir.Path);

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void The_certificate_certs_sh_issues_for_this_site_and_gateway_passes()
    {
        var (cert, key) = _pki.IssueGateway("embassy-demo", "gw-chancery");

        var result = TestConfigs.ReadWithTls(_pki.CaFile, cert, key);

        Assert.True(result.IsValid, result.ToReport());
    }

    [Fact]
    public void A_certificate_of_another_site_is_refused_naming_both_sites_and_the_topics_the_broker_allows()
    {
        var (cert, key) = _pki.IssueGateway("embassy-x", "gw-chancery");

        TestConfigs.AssertError(TestConfigs.ReadWithTls(_pki.CaFile, cert, key), CertFile,
            "is issued for site 'embassy-x', not 'embassy-demo'", "edgeguard/v1/embassy-x/gw-chancery/#", "set site to 'embassy-x'");
    }

    [Fact]
    public void A_certificate_of_another_gateway_is_refused_naming_both()
    {
        var (cert, key) = _pki.IssueGateway("embassy-demo", "gw-annex");

        TestConfigs.AssertError(TestConfigs.ReadWithTls(_pki.CaFile, cert, key), CertFile,
            "is issued to CN 'gw-annex', not to gateway 'gw-chancery'", "certs.sh gateway embassy-demo gw-chancery");
    }

    [Fact]
    public void A_certificate_that_names_no_site_is_held_to_its_cn_only()
    {
        var (cert, key) = _pki.IssueClient("gw-chancery");

        var result = TestConfigs.ReadWithTls(_pki.CaFile, cert, key);

        Assert.True(result.IsValid, result.ToReport());
    }

    // Another CA's certificate may put several names in one part (CN=x+OU=y): validate reports on
    // it, it does not crash on it.
    [Fact]
    public void A_multi_valued_name_part_is_read_without_failing()
    {
        var (cert, key) = _pki.IssueMultiValued("gw-chancery", "embassy-x");
        using (var issued = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificateFromFile(cert))
        {
            Assert.True(Assert.Single(issued.SubjectName.EnumerateRelativeDistinguishedNames()).HasMultipleElements);
        }

        var result = TestConfigs.ReadWithTls(_pki.CaFile, cert, key);

        Assert.True(result.IsValid, result.ToReport());
    }

    // With mqtt.username the broker is given the gateway's name that way, and its ACL is that
    // name's: the certificate's names are not held to the config.
    [Fact]
    public void With_a_username_the_certificates_names_are_not_held_to_the_config()
    {
        var (cert, key) = _pki.IssueGateway("embassy-x", "tls-identity");

        var result = TestConfigs.Read(k => WithTlsAndUsername(k, cert, key), loadFiles: true);

        Assert.True(result.IsValid, result.ToReport());
    }

    // run does not load the files (validate does, at provisioning): a certificate swapped later
    // costs the office link, never the site's protection.
    [Fact]
    public void Run_does_not_hold_the_names()
    {
        var (cert, key) = _pki.IssueGateway("embassy-x", "gw-annex");

        var result = TestConfigs.ReadWithTls(_pki.CaFile, cert, key, loadFiles: false);

        Assert.True(result.IsValid, result.ToReport());
    }

    private void WithTlsAndUsername(Dictionary<string, string?> keys, string cert, string key)
    {
        keys.Set("mqtt:host", "broker.office.example");
        keys.Set("mqtt:port", "8883");
        keys.Set("mqtt:username", "gw-chancery");
        keys.Set("mqtt:password", "secret");
        keys.Set("mqtt:tls:caFile", _pki.CaFile);
        keys.Set("mqtt:tls:certFile", cert);
        keys.Set("mqtt:tls:keyFile", key);
    }
}
