using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using EdgeGuard.Configuration;

namespace EdgeGuard.Tests.Configuration;

/// <summary>
/// <c>validate</c> reports the gateway's client certificate outside its validity window: an expired
/// one (certs.sh issues them for 1095 days) passed, and the broker then refused every connection.
/// One close to its end passes with a warning, so a technician renews it before the link goes.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class TlsCertificateValidityConfigTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly TestPki _pki;

    public TlsCertificateValidityConfigTests() => _pki = new TestPki(_dir.Path);

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void An_expired_client_certificate_is_an_error_at_the_certificate_file_with_its_window()
    {
        var to = DateTimeOffset.UtcNow.AddDays(-1);
        var (cert, key) = Issue(DateTimeOffset.UtcNow.AddYears(-3), to);

        var error = TestConfigs.AssertError(WithTls(cert, key), "EdgeGuard:mqtt:tls:certFile", $"'{cert}' has expired", "valid from", Utc(to), "clock reads");
        Assert.Contains("renew", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_client_certificate_not_yet_valid_is_an_error_naming_the_clock()
    {
        var (cert, key) = Issue(DateTimeOffset.UtcNow.AddDays(2), DateTimeOffset.UtcNow.AddDays(400));

        TestConfigs.AssertError(WithTls(cert, key), "EdgeGuard:mqtt:tls:certFile", $"'{cert}' is not yet valid", "clock");
    }

    [Fact]
    public void A_client_certificate_within_30_days_of_its_end_passes_with_a_warning()
    {
        var to = DateTimeOffset.UtcNow.AddDays(10);
        var (cert, key) = Issue(DateTimeOffset.UtcNow.AddYears(-1), to);

        var result = WithTls(cert, key);

        Assert.True(result.IsValid, result.ToReport());
        Assert.Contains(result.Warnings, w => w.Path == "EdgeGuard:mqtt:tls:certFile" && w.Message.Contains($"expires {Utc(to)}", StringComparison.Ordinal));
    }

    // validate printed "Configuration is valid" and nothing else: the warning, which run never
    // gives (run does not load the certificate), went unseen until the link went down.
    [Fact]
    public async Task Validate_prints_the_warning_of_a_client_certificate_near_its_end()
    {
        var to = DateTimeOffset.UtcNow.AddDays(10);
        var (cert, key) = Issue(DateTimeOffset.UtcNow.AddYears(-1), to);
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "appsettings.json")))!;
        var eg = json["EdgeGuard"]!;
        eg["stateDirectory"] = _dir.File("state");
        eg["mqtt"] = System.Text.Json.Nodes.JsonNode.Parse($$"""
            { "host": "broker.office.example", "port": 8883, "tls": { "caFile": "{{_pki.CaFile}}", "certFile": "{{cert}}", "keyFile": "{{key}}" } }
            """);
        var path = _dir.File("appsettings.json");
        File.WriteAllText(path, json.ToJsonString());

        var (code, _, error) = await Cli.CliRun.InvokeAsync(["validate", "--config", path]);

        Assert.True(code == EdgeGuard.Cli.ExitCodes.Ok, error);
        Assert.Contains("edgeguard: warning: EdgeGuard:mqtt:tls:certFile", error, StringComparison.Ordinal);
        Assert.Contains($"expires {Utc(to)}", error, StringComparison.Ordinal);
    }

    private (string Cert, string Key) Issue(DateTimeOffset from, DateTimeOffset to)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=gw-chancery", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        using var certificate = request.CreateSelfSigned(from, to);
        var cert = _dir.File("window.crt");
        var keyFile = _dir.File("window.key");
        File.WriteAllText(cert, certificate.ExportCertificatePem());
        File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem());
        File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return (cert, keyFile);
    }

    private ConfigResult WithTls(string cert, string key) => TestConfigs.ReadWithTls(_pki.CaFile, cert, key);

    private static string Utc(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
