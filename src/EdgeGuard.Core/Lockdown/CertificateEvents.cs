namespace EdgeGuard.Core.Lockdown;

/// <summary>Which of the gateway's TLS files a certificate came from.</summary>
public enum TlsCertificateRole
{
    /// <summary>The gateway's own client certificate (<c>mqtt.tls.certFile</c>, mutual TLS).</summary>
    Client,

    /// <summary>The pinned office CA (<c>mqtt.tls.caFile</c>) the broker's chain must end in.</summary>
    Ca,
}

/// <summary>Where a certificate stands in its validity window, as the gateway's clock reads it.</summary>
public enum CertificateValidity
{
    /// <summary>Valid, and more than <see cref="CertificateExpiryWatch.Notice"/> from its end.</summary>
    Valid,

    /// <summary>Valid, but within <see cref="CertificateExpiryWatch.Notice"/> of its end.</summary>
    Expiring,

    /// <summary>Past its end (NotAfter).</summary>
    Expired,

    /// <summary>Before its start (NotBefore): usually the gateway's clock, not the certificate.</summary>
    NotYetValid,
}

/// <summary>
/// A TLS certificate the gateway's office link depends on (its client certificate, or the pinned
/// CA) is within <see cref="CertificateExpiryWatch.Notice"/> of its end (<see cref="Severity.Warning"/>),
/// past it or not yet valid (<see cref="Severity.Alarm"/>). Raised when a check finds the
/// certificate crossing into one of these from another (at start, then every
/// <c>CertificateExpiryChecks.Interval</c>), never again at a check that finds it where it was:
/// the latest one of a file stands until <see cref="CertificateRestored"/>.
/// </summary>
/// <param name="At">The gateway's clock at the check.</param>
/// <param name="Role">Which file.</param>
/// <param name="File">The file's configured path.</param>
/// <param name="Subject">The certificate's subject (the soonest-ending one of a CA bundle).</param>
/// <param name="NotBefore">The certificate's start.</param>
/// <param name="NotAfter">The certificate's end: the broker refuses it (or the chain) from then on.</param>
/// <param name="Validity"><see cref="CertificateValidity.Expiring"/>, <see cref="CertificateValidity.Expired"/> or <see cref="CertificateValidity.NotYetValid"/>.</param>
public sealed record CertificateFault(
    DateTimeOffset At, TlsCertificateRole Role, string File, string Subject, DateTimeOffset NotBefore, DateTimeOffset NotAfter, CertificateValidity Validity)
    : DomainEvent(At)
{
    /// <summary>
    /// The office's command that renews a gateway's client certificate (same key, the old one
    /// still valid until revoked on its own), which this fault and <c>validate</c> both advise.
    /// </summary>
    public const string RenewCommand = "deploy/office/certs.sh renew GATEWAY";

    /// <inheritdoc />
    public override string Type => "fault.certificate";

    /// <inheritdoc />
    // Expiring is notice, the link still works; expired or not yet valid, the office link is lost
    // at the next connect (or already), like fault.broker: an alarm. Not critical: the site is
    // protected locally.
    public override Severity Severity => Validity == CertificateValidity.Expiring ? Severity.Warning : Severity.Alarm;

    /// <summary>Whole days from <see cref="DomainEvent.At"/> to <see cref="NotAfter"/>, rounded down: negative once expired.</summary>
    public long DaysLeft => (long)Math.Floor((NotAfter - At).TotalDays);

    /// <summary>A sentence for people: which certificate, its window, the clock, and what to do.</summary>
    public string Reason
    {
        get
        {
            var which = Role == TlsCertificateRole.Client
                ? $"the gateway's client certificate '{File}'"
                : $"the pinned CA certificate '{Subject}' in '{File}'";
            var window = $"valid from {WireTime.Format(NotBefore)} to {WireTime.Format(NotAfter)}, the gateway's clock reads {WireTime.Format(At)}";
            var renew = Role == TlsCertificateRole.Client
                ? $"renew it at the office ({RenewCommand}) and replace the file"
                : "replace the CA file with the office's current CA (and the broker's certificate if the CA changed)";
            return Validity switch
            {
                CertificateValidity.Expiring => $"{which} expires in {DaysLeft} days ({window}): {renew} before then, or the office link is lost",
                CertificateValidity.Expired => $"{which} has expired ({window}): the office link is refused at the next connect; {renew}, or check the gateway's clock if it is ahead",
                _ => $"{which} is not yet valid ({window}): check the gateway's clock (NTP reachable? a board without a real-time clock starts with a stale time)",
            };
        }
    }
}

/// <summary>
/// After <see cref="CertificateFault"/>, a check found the file's certificate valid and more than
/// <see cref="CertificateExpiryWatch.Notice"/> from its end: renewed (the file replaced; read
/// again at each check) or the gateway's clock put right.
/// </summary>
/// <param name="At">The gateway's clock at the check.</param>
/// <param name="Role">Which file.</param>
/// <param name="File">The file's configured path.</param>
/// <param name="Subject">The certificate's subject.</param>
/// <param name="NotAfter">The certificate's end now.</param>
public sealed record CertificateRestored(DateTimeOffset At, TlsCertificateRole Role, string File, string Subject, DateTimeOffset NotAfter) : DomainEvent(At)
{
    /// <inheritdoc />
    public override string Type => "fault.certificate-restored";

    /// <inheritdoc />
    public override Severity Severity => Severity.Info;
}

/// <summary>
/// Turns what each check reads of a certificate into episodes: a <see cref="CertificateFault"/>
/// when its <see cref="CertificateValidity"/> changes into anything but valid, a
/// <see cref="CertificateRestored"/> when it changes back to valid after one; nothing while it
/// stays where it was. One state per <see cref="TlsCertificateRole"/>. Pure: the caller reads
/// the file and the clock, and serialises calls.
/// </summary>
public sealed class CertificateExpiryWatch
{
    /// <summary>How long before a certificate's end the office is told: time to issue and provision a new one.</summary>
    public static readonly TimeSpan Notice = TimeSpan.FromDays(30);

    private readonly Dictionary<TlsCertificateRole, CertificateValidity> _reported = [];

    /// <summary>Where <paramref name="notBefore"/>..<paramref name="notAfter"/> stands at <paramref name="now"/>.</summary>
    public static CertificateValidity Classify(DateTimeOffset notBefore, DateTimeOffset notAfter, DateTimeOffset now) =>
        now < notBefore ? CertificateValidity.NotYetValid
        : now > notAfter ? CertificateValidity.Expired
        : notAfter - now <= Notice ? CertificateValidity.Expiring
        : CertificateValidity.Valid;

    /// <summary>The last state reported for <paramref name="role"/> (valid until a fault).</summary>
    public CertificateValidity Reported(TlsCertificateRole role) => _reported.GetValueOrDefault(role);

    /// <summary>The event a check finding this certificate raises, if any.</summary>
    /// <param name="role">Which file.</param>
    /// <param name="file">The file's path.</param>
    /// <param name="subject">The certificate's subject.</param>
    /// <param name="notBefore">Its start.</param>
    /// <param name="notAfter">Its end.</param>
    /// <param name="now">The gateway's clock.</param>
    public DomainEvent? Observe(TlsCertificateRole role, string file, string subject, DateTimeOffset notBefore, DateTimeOffset notAfter, DateTimeOffset now)
    {
        var state = Classify(notBefore, notAfter, now);
        var last = Reported(role);
        if (state == last)
        {
            return null;
        }

        _reported[role] = state;
        return state == CertificateValidity.Valid
            ? new CertificateRestored(now, role, file, subject, notAfter)
            : new CertificateFault(now, role, file, subject, notBefore, notAfter, state);
    }
}
