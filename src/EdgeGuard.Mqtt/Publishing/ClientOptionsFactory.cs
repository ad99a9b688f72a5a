using System.Globalization;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using EdgeGuard.Mqtt.Contract;
using EdgeGuard.Mqtt.Files;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace EdgeGuard.Mqtt.Publishing;

/// <summary>
/// Turns <see cref="MqttPublisherOptions"/> into MQTTnet client options: MQTT 5, clean start, the
/// Last Will (<c>offline</c>, retained, QoS 1, user property <c>session</c>) and TLS with a pinned CA.
/// Certificates are read from disk on every connect, so rotated files take effect at the next one.
/// </summary>
public static class ClientOptionsFactory
{
    /// <summary>MQTT 5 user property carrying the session counter on availability messages.</summary>
    public const string SessionProperty = "session";

    /// <summary>
    /// MQTT 5 user property carrying this process's instance id on availability messages
    /// (<see cref="ProcessInstance"/>): two boxes on one gateway id show as two values.
    /// </summary>
    public const string InstanceProperty = "instance";

    private const string ServerAuthentication = "1.3.6.1.5.5.7.3.1";

    /// <summary>Builds the options of one connection attempt.</summary>
    /// <exception cref="FileNotFoundException">
    /// A configured TLS file cannot be reached; the message names each one (<see cref="MqttTlsOptions.FileProblems()"/>).
    /// No options are built without it: never plain text, never without the client certificate.
    /// </exception>
    /// <exception cref="TlsFileException">A certificate or key file does not load; the message names it and its setting.</exception>
    public static MqttClientOptions Build(MqttPublisherOptions options, Topics topics, long session)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(topics);
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(options.Host, options.EffectivePort)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId(options.ClientId)
            .WithCleanStart(true)
            .WithKeepAlivePeriod(options.KeepAlive)
            .WithTimeout(options.Timeout)
            .WithWillTopic(topics.Availability)
            .WithWillPayload(Encoding.UTF8.GetBytes(Payloads.Offline))
            .WithWillRetain(true)
            .WithWillQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithWillContentType(Payloads.TextContentType)
            .WithWillPayloadFormatIndicator(MqttPayloadFormatIndicator.CharacterData)
            .WithWillUserProperty(SessionProperty, DecimalUtf8(session))
            .WithWillUserProperty(InstanceProperty, Encoding.UTF8.GetBytes(options.Instance));
        if (options.Username is not null)
        {
            builder.WithCredentials(options.Username, options.Password);
        }

        if (options.Tls.Enabled)
        {
            builder.WithTlsOptions(BuildTls(options));
        }

        return builder.Build();
    }

    /// <summary>
    /// Validates the broker certificate against the pinned CA(s) only: the chain must end in one of
    /// <paramref name="anchors"/>, carry the server-authentication usage, match the server name and
    /// pass the configured revocation check.
    /// </summary>
    public static bool ValidatePinned(
        X509Certificate? certificate, X509Chain? presented, SslPolicyErrors errors, X509Certificate2Collection anchors, X509RevocationMode revocation) =>
        ValidatePinned(certificate, presented, errors, anchors, revocation, out _);

    /// <summary>As <see cref="ValidatePinned(X509Certificate?, X509Chain?, SslPolicyErrors, X509Certificate2Collection, X509RevocationMode)"/>; <paramref name="refusal"/> says why it failed.</summary>
    public static bool ValidatePinned(
        X509Certificate? certificate, X509Chain? presented, SslPolicyErrors errors, X509Certificate2Collection anchors, X509RevocationMode revocation, out string refusal) =>
        ValidatePinned(certificate, presented, errors, anchors, revocation, TimeSpan.Zero, out refusal);

    /// <summary>
    /// As <see cref="ValidatePinned(X509Certificate?, X509Chain?, SslPolicyErrors, X509Certificate2Collection, X509RevocationMode, out string)"/>,
    /// with online revocation's downloads (CRL, OCSP) bounded by <paramref name="urlRetrievalTimeout"/>
    /// (<see cref="TimeSpan.Zero"/>: the runtime's default).
    /// </summary>
    public static bool ValidatePinned(
        X509Certificate? certificate, X509Chain? presented, SslPolicyErrors errors, X509Certificate2Collection anchors, X509RevocationMode revocation,
        TimeSpan urlRetrievalTimeout, out string refusal)
    {
        var valid = ValidatePinned(certificate, presented, errors, anchors, revocation, urlRetrievalTimeout, out BrokerRefusal why);
        refusal = why.Text;
        return valid;
    }

    /// <summary>
    /// As the public overloads; <paramref name="refusal"/> also says how a repeat of it is
    /// recognised (<see cref="BrokerRefusal.Key"/>: for a certificate outside its window, without
    /// the clock reading its text gives).
    /// </summary>
    internal static bool ValidatePinned(
        X509Certificate? certificate, X509Chain? presented, SslPolicyErrors errors, X509Certificate2Collection anchors, X509RevocationMode revocation,
        TimeSpan urlRetrievalTimeout, out BrokerRefusal refusal)
    {
        ArgumentNullException.ThrowIfNull(anchors);
        if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
        {
            refusal = BrokerRefusal.Stable("the broker presented no certificate");
            return false;
        }

        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            refusal = BrokerRefusal.Stable("the broker's certificate is not for this host name");
            return false;
        }

        using var owned = certificate as X509Certificate2 is null ? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()) : null;
        var leaf = owned ?? (X509Certificate2)certificate;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(anchors);
        chain.ChainPolicy.RevocationMode = revocation;
        chain.ChainPolicy.RevocationFlag = X509RevocationFlag.ExcludeRoot;
        chain.ChainPolicy.UrlRetrievalTimeout = urlRetrievalTimeout;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid(ServerAuthentication));
        if (presented is not null)
        {
            // Intermediates the broker sent; they are candidates only, never trust anchors.
            foreach (var element in presented.ChainElements)
            {
                if (!element.Certificate.RawDataMemory.Span.SequenceEqual(leaf.RawDataMemory.Span))
                {
                    chain.ChainPolicy.ExtraStore.Add(element.Certificate);
                }
            }
        }

        if (chain.Build(leaf))
        {
            refusal = BrokerRefusal.Stable(string.Empty);
            return true;
        }

        // The chain's own words: UntrustedRoot (not the pinned CA), Revoked, RevocationStatusUnknown
        // (a CRL or OCSP responder out of reach: see RevocationMode)...
        var statuses = chain.ChainElements.SelectMany(element => element.ChainElementStatus).Concat(chain.ChainStatus)
            .Select(status => status.Status).Distinct().ToList();
        var pinned = BrokerRefusal.Stable("the broker's certificate failed the pinned check: "
            + (statuses.Count == 0 ? "no chain to a pinned CA" : string.Join(", ", statuses)));
        if (OutsideValidity(chain, leaf) is { } time)
        {
            // The clock's words only when nothing but time is wrong: a certificate that is not
            // the pinned CA's (an impostor), revoked or not for a server says so first, or the
            // alarm sent the technician after the clock and hid the impostor from the office.
            refusal = statuses.Any(IdentityFailure) ? new BrokerRefusal(pinned.Text + "; also " + time.Text, pinned.Key + "; also " + time.Key) : time;
            return false;
        }

        refusal = pinned;
        return false;
    }

    // Any status but the time and revocation-lookup ones a stale clock or an isolated site gives
    // says the certificate may not be the broker's (not the pinned CA's, forged, revoked, not for a
    // server, constraints broken). A list of those instead would miss the ones it did not name.
    private static bool IdentityFailure(X509ChainStatusFlags status) => status is not (X509ChainStatusFlags.NoError
        or X509ChainStatusFlags.NotTimeValid or X509ChainStatusFlags.NotTimeNested or X509ChainStatusFlags.CtlNotTimeValid
        or X509ChainStatusFlags.RevocationStatusUnknown or X509ChainStatusFlags.OfflineRevocation);

    // NotTimeValid alone ("failed the pinned check: NotTimeValid") sent a technician after the
    // certificates when the usual cause on a gateway is its clock: a board without a real-time
    // clock boots with a stale time until NTP answers, before a freshly renewed broker certificate's
    // start. So the refusal says which certificate, not yet valid or expired, its validity window
    // and the gateway's own UTC time, and to check the clock. Null when no element is out of time.
    // The clock reading is left out of the key: it differs at every attempt, and a key that changes
    // made each attempt a new fault.broker. Which certificate, which way and its window stay in it,
    // so a certificate replaced by another one outside its window is a new reason.
    private static BrokerRefusal? OutsideValidity(X509Chain chain, X509Certificate2 leaf)
    {
        var now = DateTimeOffset.UtcNow;
        foreach (var element in chain.ChainElements)
        {
            if (!element.ChainElementStatus.Any(status => status.Status == X509ChainStatusFlags.NotTimeValid))
            {
                continue;
            }

            var certificate = element.Certificate;
            var from = new DateTimeOffset(certificate.NotBefore.ToUniversalTime());
            var to = new DateTimeOffset(certificate.NotAfter.ToUniversalTime());
            var which = certificate.RawDataMemory.Span.SequenceEqual(leaf.RawDataMemory.Span)
                ? "the broker's certificate"
                : $"the broker's chain certificate '{certificate.Subject}'";
            var state = now < from ? "is not yet valid" : "has expired";
            var hint = now < from
                ? "check the gateway's clock (NTP reachable? a board without a real-time clock starts with a stale time)"
                : "renew it at the office, or check the gateway's clock if it is ahead";
            var key = $"{which} {state}: valid from {Utc(from)} to {Utc(to)}";
            return new BrokerRefusal($"{key}, and the gateway's clock reads {Utc(now)}; {hint}", key);
        }

        return null;
    }

    private static string Utc(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>
    /// How long online revocation may spend on its downloads (CRL, OCSP) during one handshake: a
    /// quarter of the connect <see cref="MqttPublisherOptions.Timeout"/>. The runtime's default
    /// is longer than that timeout, so a CRL host that drops packets made the connect time out
    /// first, a cancellation that is not recognised as TLS: no <c>fault.broker</c>, only a link
    /// that seemed down. Within the budget the chain ends <c>RevocationStatusUnknown</c>, which is.
    /// </summary>
    public static TimeSpan RevocationUrlTimeout(MqttPublisherOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Timeout / 4;
    }

    /// <summary>A number as the UTF-8 decimal text MQTT user properties carry.</summary>
    public static ReadOnlyMemory<byte> DecimalUtf8(long value) =>
        new(Encoding.UTF8.GetBytes(value.ToString(CultureInfo.InvariantCulture)));

    /// <summary>
    /// Options for a plain client of the same broker (the office's <c>edgeguard command send</c>):
    /// the same TLS, pinning and credentials as the gateway's own connection, no will, clean session.
    /// </summary>
    public static MqttClientOptions BuildClient(MqttPublisherOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(options.Host, options.EffectivePort)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId(options.ClientId)
            .WithCleanStart(true)
            .WithTimeout(options.Timeout);
        if (options.Username is not null)
        {
            builder.WithCredentials(options.Username, options.Password);
        }

        if (options.Tls.Enabled)
        {
            builder.WithTlsOptions(BuildTls(options));
        }

        return builder.Build();
    }

    private static MqttClientTlsOptions BuildTls(MqttPublisherOptions options)
    {
        var tls = LoadTls(options);
        var builder = new MqttClientTlsOptionsBuilder()
            .UseTls(true)
            .WithTargetHost(tls.TargetHost)
            .WithRevocationMode(tls.Revocation);
        if (tls.ClientCertificate is { } certificate)
        {
            builder.WithClientCertificates(new X509Certificate2Collection(certificate));
        }

        if (tls.Validate is { } validate)
        {
            builder.WithCertificateValidationHandler(args => validate(args.Certificate, args.Chain, args.SslPolicyErrors));
        }

        return builder.Build();
    }

    /// <summary>
    /// The same TLS as a connect's (<see cref="Build"/>), for a bare <see cref="SslStream"/>: the
    /// files read from disk now, the client certificate, the pinned check. Used by
    /// <see cref="TlsRefusalProbe"/>, which must be refused or trusted exactly as the gateway is.
    /// </summary>
    internal static SslClientAuthenticationOptions BuildProbeTls(MqttPublisherOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var tls = LoadTls(options);
        var validate = tls.Validate;
        return new SslClientAuthenticationOptions
        {
            TargetHost = tls.TargetHost,
            CertificateRevocationCheckMode = tls.Revocation,
            ClientCertificates = tls.ClientCertificate is { } certificate ? new X509CertificateCollection { certificate } : null,
            // Sent whatever CAs the broker lists as acceptable, as MQTTnet sends it: the runtime's
            // own pick drops a certificate of a CA not listed, and the probe, sending none, would
            // hear "certificate required" where the gateway is told "unknown ca".
            LocalCertificateSelectionCallback = (_, _, local, _, _) => local.Count > 0 ? local[0] : null!,
            // Without a pinned CA, MQTTnet's own rule: the system store's verdict.
            RemoteCertificateValidationCallback = (_, presented, chain, errors) =>
                validate?.Invoke(presented, chain, errors) ?? errors == SslPolicyErrors.None,
        };
    }

    // One connect's TLS, read from disk: what MQTTnet's options and the probe's are both made of.
    private static LoadedTls LoadTls(MqttPublisherOptions options)
    {
        var tls = options.Tls;
        // Checked before any is read, so the reason names every missing file by its setting rather
        // than the runtime's "Could not find file" for the first one.
        if (tls.FileProblems() is { Count: > 0 } missing)
        {
            throw new FileNotFoundException("tls: " + string.Join("; ", missing));
        }

        X509Certificate2? certificate = null;
        if (tls.ClientCertificateFile is { } certificateFile)
        {
            var keyFile = tls.ClientKeyFile ?? throw new InvalidOperationException("tls: the client certificate has no key file.");
            certificate = LoadClientCertificate(tls, certificateFile, keyFile);
        }

        Func<X509Certificate?, X509Chain?, SslPolicyErrors, bool>? validate = null;
        if (tls.CaCertificateFile is { } caFile)
        {
            X509Certificate2Collection anchors;
            try
            {
                anchors = LoadAnchors(tls, caFile);
            }
            catch
            {
                certificate?.Dispose(); // its key (on Windows, a key file) is not left behind
                throw;
            }

            var revocation = tls.RevocationMode;
            var urlTimeout = RevocationUrlTimeout(options);
            // Thrown, not returned: the handshake's AuthenticationException then carries the reason,
            // which the publisher reports as fault.broker.
            validate = (presented, chain, errors) => ValidatePinned(presented, chain, errors, anchors, revocation, urlTimeout, out BrokerRefusal refusal)
                ? true
                : throw new BrokerCertificateRefusedException(refusal);
        }

        return new LoadedTls(tls.ServerName ?? options.Host, tls.RevocationMode, certificate, validate);
    }

    private sealed record LoadedTls(
        string TargetHost, X509RevocationMode Revocation, X509Certificate2? ClientCertificate, Func<X509Certificate?, X509Chain?, SslPolicyErrors, bool>? Validate);

    // The runtime's own words ("No supported key formats were found") name neither the file nor the
    // setting: a technician with three files in /etc/edgeguard/tls learns here which one to mend.
    private static X509Certificate2Collection LoadAnchors(MqttTlsOptions tls, string caFile)
    {
        // Read through TlsFile (a pipe there is refused, never waited on), then parsed. Held to
        // validate's rule at every connect: whoever may write the file or its folder would pin
        // their own broker. Refused, it costs the office link only (fault.broker names the file),
        // never the site's local protection.
        var pem = Encoding.UTF8.GetString(TlsFile.ReadAll(caFile, tls.CaCertificateNamed(caFile), ModeCheck(privateKey: false)));
        var anchors = new X509Certificate2Collection();
        try
        {
            anchors.ImportFromPem(pem);
        }
        catch (CryptographicException ex)
        {
            throw new TlsFileException($"{tls.CaCertificateNamed(caFile)} does not load as PEM certificates: {ex.Message}", ex);
        }

        return anchors.Count > 0 ? anchors : throw new TlsFileException($"{tls.CaCertificateNamed(caFile)} holds no PEM certificate");
    }

    // validate's rule for a TLS file (TlsFile.ModeProblem); Unix modes are Linux's.
    private static Func<CheckedFile, string?> ModeCheck(bool privateKey) =>
        file => OperatingSystem.IsLinux() ? TlsFile.ModeProblem(file, privateKey) : null;

    private static X509Certificate2 LoadClientCertificate(MqttTlsOptions tls, string certificateFile, string keyFile)
    {
        // Each read through TlsFile, so an unreadable file or a pipe is named alone, never as a
        // pair problem. Held to validate's rule at every connect, as the CA file is: a key others
        // may read (a renewal or a restore that left it 0644) is the gateway's broker identity for
        // anyone on it, and nothing else would say so while the gateway runs. Refused, it costs
        // the office link only (fault.broker names the file), never the site's local protection.
        var certificatePem = Encoding.UTF8.GetChars(TlsFile.ReadAll(certificateFile, tls.ClientCertificateNamed(certificateFile), ModeCheck(privateKey: false)));
        var keyBytes = TlsFile.ReadAll(keyFile, tls.ClientKeyNamed(keyFile), ModeCheck(privateKey: true));
        var keyPem = Encoding.UTF8.GetChars(keyBytes);
        CryptographicOperations.ZeroMemory(keyBytes);
        X509Certificate2 certificate;
        try
        {
            certificate = X509Certificate2.CreateFromPem(certificatePem, keyPem);
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            // ArgumentException: a key that is not this certificate's. Which of the two is wrong
            // the runtime does not always say, so both are named.
            throw new TlsFileException(
                $"{tls.ClientCertificateNamed(certificateFile)} and {tls.ClientKeyNamed(keyFile)} do not load as a pair (an encrypted key, or one that is not this certificate's?): {ex.Message}", ex);
        }
        finally
        {
            // The key's text is not left in memory for a dump to find.
            Array.Clear(keyPem);
        }

        if (!OperatingSystem.IsWindows())
        {
            return certificate;
        }

        // SChannel cannot use an ephemeral key for a client certificate: round-trip through PKCS#12.
        using (certificate)
        {
            return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
        }
    }
}
