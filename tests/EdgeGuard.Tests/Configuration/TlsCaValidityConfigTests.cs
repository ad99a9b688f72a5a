using EdgeGuard.Configuration;

namespace EdgeGuard.Tests.Configuration;

/// <summary>
/// <c>validate</c> holds the pinned CA to its validity window as it holds the client certificate:
/// an expired CA passed (only whether it parsed was checked), and the gateway then refused every
/// broker certificate, since no chain can end in an expired anchor. A bundle is judged by its
/// soonest-ending certificate, as the running gateway's <c>CertificateExpiryChecks</c> judges it.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class TlsCaValidityConfigTests : IDisposable
{
    private const string CaPath = "EdgeGuard:mqtt:tls:caFile";
    private readonly TempDirectory _dir = new();
    private readonly (string Cert, string Key) _client;

    public TlsCaValidityConfigTests() => _client = new TestPki(_dir.Path, "current").IssueClient("gw-chancery");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void An_expired_pinned_ca_is_an_error_at_the_ca_file_with_its_window()
    {
        var to = DateTimeOffset.UtcNow.AddDays(-1);
        var ca = new TestPki(_dir.Path, "old", DateTimeOffset.UtcNow.AddDays(-400), to).CaFile;

        var error = TestConfigs.AssertError(WithCa(ca), CaPath, $"'{ca}' has expired", "EdgeGuard test CA old", "valid from", Utc(to), "clock reads");
        Assert.Contains("renew", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_pinned_ca_not_yet_valid_is_an_error_naming_the_clock()
    {
        var ca = new TestPki(_dir.Path, "future", DateTimeOffset.UtcNow.AddDays(2), DateTimeOffset.UtcNow.AddYears(5)).CaFile;

        TestConfigs.AssertError(WithCa(ca), CaPath, $"'{ca}' is not yet valid", "clock");
    }

    [Fact]
    public void A_pinned_ca_within_30_days_of_its_end_passes_with_a_warning()
    {
        var to = DateTimeOffset.UtcNow.AddDays(10);
        var ca = new TestPki(_dir.Path, "ending", DateTimeOffset.UtcNow.AddYears(-5), to).CaFile;

        var result = WithCa(ca);

        Assert.True(result.IsValid, result.ToReport());
        Assert.Contains(result.Warnings, w => w.Path == CaPath && w.Message.Contains($"expires {Utc(to)}", StringComparison.Ordinal)
            && w.Message.Contains("EdgeGuard test CA ending", StringComparison.Ordinal));
    }

    [Fact]
    public void A_bundle_is_judged_by_its_soonest_ending_ca_an_expired_one_among_current_ones_too()
    {
        var bundle = Bundle(
            new TestPki(_dir.Path, "current-2").CaFile,
            new TestPki(_dir.Path, "old", DateTimeOffset.UtcNow.AddDays(-400), DateTimeOffset.UtcNow.AddDays(-1)).CaFile);

        TestConfigs.AssertError(WithCa(bundle), CaPath, $"'{bundle}' has expired", "EdgeGuard test CA old");
    }

    [Fact]
    public void A_bundle_of_current_cas_passes_without_a_word_on_their_windows()
    {
        var bundle = Bundle(new TestPki(_dir.Path, "current-2").CaFile, new TestPki(_dir.Path, "current-3", notAfter: DateTimeOffset.UtcNow.AddYears(3)).CaFile);

        var result = WithCa(bundle);

        Assert.True(result.IsValid, result.ToReport());
        Assert.DoesNotContain(result.Warnings, w => w.Path == CaPath);
    }

    private string Bundle(params string[] files)
    {
        var bundle = _dir.File("bundle.pem");
        File.WriteAllText(bundle, string.Join("\n", files.Select(File.ReadAllText)));
        return bundle;
    }

    private ConfigResult WithCa(string ca) => TestConfigs.ReadWithTls(ca, _client.Cert, _client.Key);

    private static string Utc(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
