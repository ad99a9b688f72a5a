using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using EdgeGuard.Mqtt.Publishing;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// A broker certificate outside its validity window by the gateway's clock. The usual cause on a
/// gateway is the clock itself (a board without a real-time clock boots with a stale time, before
/// a freshly renewed certificate's start); the refusal said only "failed the pinned check:
/// NotTimeValid". It says now whether the certificate is not yet valid or expired, its window, the
/// gateway's own UTC time, and to check the clock.
/// </summary>
public sealed class BrokerCertificateValidityTests
{
    [Fact]
    public void A_broker_certificate_not_yet_valid_by_the_gateway_clock_gives_its_window_the_clock_and_says_to_check_it()
    {
        var from = TruncatedToSeconds(DateTimeOffset.UtcNow.AddDays(2));
        var to = from.AddDays(30);

        var refusal = Refusal(from, to, out var before, out var after);

        Assert.StartsWith("the broker's certificate is not yet valid: ", refusal, StringComparison.Ordinal);
        Assert.Contains($"valid from {Utc(from)} to {Utc(to)}", refusal, StringComparison.Ordinal);
        Assert.Contains("the gateway's clock reads ", refusal, StringComparison.Ordinal);
        Assert.True(ClockRead(refusal) >= TruncatedToSeconds(before) && ClockRead(refusal) <= after, refusal);
        Assert.Contains("check the gateway's clock", refusal, StringComparison.Ordinal);
        Assert.DoesNotContain("NotTimeValid", refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void An_expired_broker_certificate_says_expired_with_its_window_and_the_gateway_clock()
    {
        var from = TruncatedToSeconds(DateTimeOffset.UtcNow.AddDays(-60));
        var to = TruncatedToSeconds(DateTimeOffset.UtcNow.AddDays(-1));

        var refusal = Refusal(from, to, out _, out _);

        Assert.StartsWith("the broker's certificate has expired: ", refusal, StringComparison.Ordinal);
        Assert.Contains($"valid from {Utc(from)} to {Utc(to)}", refusal, StringComparison.Ordinal);
        Assert.Contains("the gateway's clock reads ", refusal, StringComparison.Ordinal);
        Assert.Contains("clock", refusal[(refusal.IndexOf(';', StringComparison.Ordinal) + 1)..], StringComparison.Ordinal);
    }

    // An impostor whose certificate is also out of date: the refusal said only "has expired ...
    // check the gateway's clock", and the office was told of a clock, not of an impostor.
    [Fact]
    public void An_expired_broker_certificate_from_another_CA_is_refused_as_not_the_pinned_CAs_first()
    {
        var from = TruncatedToSeconds(DateTimeOffset.UtcNow.AddDays(-60));
        var to = TruncatedToSeconds(DateTimeOffset.UtcNow.AddDays(-1));

        var refusal = Refusal(from, to, out _, out _, pinAnotherCa: true);

        Assert.StartsWith("the broker's certificate failed the pinned check: ", refusal, StringComparison.Ordinal);
        var statuses = refusal[..refusal.IndexOf(';', StringComparison.Ordinal)];
        Assert.True(statuses.Contains("PartialChain", StringComparison.Ordinal) || statuses.Contains("UntrustedRoot", StringComparison.Ordinal), refusal);
        Assert.Contains($"; also the broker's certificate has expired: valid from {Utc(from)} to {Utc(to)}", refusal, StringComparison.Ordinal);
    }

    // A genuine chain gone out of date with its pinned CA (the broker's certificate cannot outlive
    // it): nothing but time is wrong, so still the clock's words, not the pinned check's.
    [Fact]
    public void A_genuine_chain_expired_with_its_pinned_CA_is_named_in_the_clocks_words()
    {
        var to = TruncatedToSeconds(DateTimeOffset.UtcNow.AddDays(-1));

        var refusal = Refusal(to.AddDays(-60), to, out _, out _, caValidTo: to);

        Assert.StartsWith("the broker's certificate has expired: ", refusal, StringComparison.Ordinal);
        Assert.DoesNotContain("pinned check", refusal, StringComparison.Ordinal);
    }

    private static string Refusal(DateTimeOffset from, DateTimeOffset to, out DateTimeOffset before, out DateTimeOffset after, bool pinAnotherCa = false, DateTimeOffset? caValidTo = null)
    {
        using var ca = Ca("CN=office CA", caValidTo);
        using var other = Ca("CN=another CA");
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=broker", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        using var broker = request.Create(ca, from, to, [1, 2, 3, 4]);

        before = DateTimeOffset.UtcNow;
        var valid = ClientOptionsFactory.ValidatePinned(broker, null, SslPolicyErrors.None, [pinAnotherCa ? other : ca], X509RevocationMode.NoCheck, out var refusal);
        after = DateTimeOffset.UtcNow;

        Assert.False(valid);
        return refusal;
    }

    private static X509Certificate2 Ca(string subject, DateTimeOffset? validTo = null)
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest(subject, caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        return caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddYears(-5), validTo ?? DateTimeOffset.UtcNow.AddYears(5));
    }

    private static DateTimeOffset ClockRead(string refusal)
    {
        const string Marker = "the gateway's clock reads ";
        var start = refusal.IndexOf(Marker, StringComparison.Ordinal) + Marker.Length;
        return DateTimeOffset.Parse(refusal.AsSpan(start, "yyyy-MM-ddTHH:mm:ssZ".Length), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static DateTimeOffset TruncatedToSeconds(DateTimeOffset time) => new(time.Ticks - (time.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero);

    private static string Utc(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
