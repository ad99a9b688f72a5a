using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Mqtt.Publishing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgeGuard.Hosting;

/// <summary>
/// Reads the gateway's client certificate (<c>mqtt.tls.certFile</c>) and pinned CA
/// (<c>mqtt.tls.caFile</c>) at start and every <see cref="Interval"/> on the gateway's clock, and
/// reports where each stands in its validity window (<see cref="CertificateExpiryWatch"/>): a
/// <c>fault.certificate</c> when one comes within 30 days of its end (warning), passes it or is not
/// yet valid (alarm), once per crossing; <c>fault.certificate-restored</c> when a check finds the
/// file renewed. Before, a certificate ran out unannounced while the link was up, and the next
/// reconnect was refused (<c>fault.broker</c>) with the gateway dark to the office until a visit;
/// <c>validate</c>'s 30-day warning is seen only by whoever runs it.
/// </summary>
/// <remarks>
/// Off the event path: a timer of its own, a file read every few hours, reports into the
/// controller's channel as <see cref="OperatorKeyFiles"/>' do (after <c>gateway.started</c>, in one
/// order with the loop's events). A file that cannot be read or parsed is left to the publisher,
/// which reads the same files at every connect attempt and reports them as <c>fault.broker</c>;
/// here it changes nothing reported. The publisher's connection uses the files as they are at its
/// connect (<see cref="ClientOptionsFactory"/>), so a renewed file is used from the next reconnect
/// without a restart; this check says so to the office at its next run.
/// </remarks>
internal sealed partial class CertificateExpiryChecks : IHostedService, IDisposable
{
    /// <summary>
    /// How often the files are read again: a 30-day notice is crossed within this of its start,
    /// and a renewed file is reported within it. Hours, not minutes: validity changes by days.
    /// </summary>
    public static readonly TimeSpan Interval = TimeSpan.FromHours(6);

    /// <summary>
    /// How soon a certificate found expired or not yet valid is read again. A Pi has no real-time
    /// clock: it boots with the time it saved last and NTP steps it a minute later, so a
    /// certificate issued since reads as not yet valid at boot; its alarm must not stand for a
    /// whole <see cref="Interval"/> after the clock was put right. A file read every few minutes
    /// costs nothing, and a file renewed by a technician on site is confirmed while they wait.
    /// </summary>
    public static readonly TimeSpan Recheck = TimeSpan.FromMinutes(5);

    // The timer's check and a start's check never overlap: one episode state, reported once.
    private readonly Lock _gate = new();
    private readonly CertificateExpiryWatch _watch = new();
    private readonly MqttTlsOptions _tls;
    private readonly Action<IReadOnlyList<DomainEvent>> _report;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private ITimer? _timer;

    /// <summary>Checks nothing until started.</summary>
    /// <param name="tls">The gateway's TLS settings (the files to read).</param>
    /// <param name="report">Where the events go (the controller's loop: journal, office).</param>
    /// <param name="time">The gateway's clock, which both the timer and the validity use.</param>
    /// <param name="logger">Gets a line per event.</param>
    public CertificateExpiryChecks(MqttTlsOptions tls, Action<IReadOnlyList<DomainEvent>> report, TimeProvider time, ILogger<CertificateExpiryChecks> logger)
    {
        _tls = tls;
        _report = report;
        _time = time;
        _logger = logger;
    }

    /// <summary>Whether <paramref name="tls"/> names a certificate this checks: TLS on, with a client certificate or a pinned CA.</summary>
    public static bool Applies(MqttTlsOptions tls) =>
        tls.Enabled && (tls.ClientCertificateFile is not null || tls.CaCertificateFile is not null);

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            // One-shot, re-armed by each check: the wait depends on what it found.
            _timer = _time.CreateTimer(_ => Check(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }

        Check();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken)
    {
        _timer?.Dispose();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public void Dispose() => _timer?.Dispose();

    /// <summary>
    /// Reads both files, reports what changed since the last check, and sets when the next one runs:
    /// after <see cref="Recheck"/> while a certificate is expired or not yet valid, else <see cref="Interval"/>.
    /// </summary>
    public void Check()
    {
        lock (_gate)
        {
            var events = new List<DomainEvent>(2);
            Observe(TlsCertificateRole.Client, _tls.ClientCertificateFile, events);
            Observe(TlsCertificateRole.Ca, _tls.CaCertificateFile, events);
            if (events.Count > 0)
            {
                _report(events);
            }

            var outside = _watch.Reported(TlsCertificateRole.Client) is CertificateValidity.Expired or CertificateValidity.NotYetValid
                || _watch.Reported(TlsCertificateRole.Ca) is CertificateValidity.Expired or CertificateValidity.NotYetValid;
            // False once stopped (disposed): no check follows.
            _timer?.Change(outside ? Recheck : Interval, Timeout.InfiniteTimeSpan);
        }
    }

    private void Observe(TlsCertificateRole role, string? file, List<DomainEvent> events)
    {
        if (file is null || Read(role, file) is not { } certificate)
        {
            return;
        }

        var (subject, notBefore, notAfter) = certificate;
        var now = _time.GetUtcNow();
        switch (_watch.Observe(role, file, subject, notBefore, notAfter, now))
        {
            case CertificateFault fault when fault.Severity == Severity.Warning:
                LogExpiring(fault.Reason);
                events.Add(fault);
                break;
            case CertificateFault fault:
                LogOutsideWindow(fault.Reason);
                events.Add(fault);
                break;
            case CertificateRestored restored:
                LogRenewed(file, Utc(restored.NotAfter));
                events.Add(restored);
                break;
        }
    }

    /// <summary>
    /// The file's certificate as the connection would use it: a client file's first certificate
    /// (the one <see cref="X509Certificate2.CreateFromPem(ReadOnlySpan{char}, ReadOnlySpan{char})"/>
    /// takes), a CA bundle's soonest-ending one (the bundle is as good as its weakest anchor while
    /// the broker may chain to it). Null when it cannot be read or holds none.
    /// </summary>
    private (string Subject, DateTimeOffset NotBefore, DateTimeOffset NotAfter)? Read(TlsCertificateRole role, string file)
    {
        // The connection's own read (TlsFile: a pipe at the path is refused, never waited on).
        if (TlsFile.TryRead(file, out var bytes) is { } problem)
        {
            LogUnreadable(file, problem);
            return null;
        }

        var certificates = new X509Certificate2Collection();
        try
        {
            certificates.ImportFromPem(Encoding.UTF8.GetString(bytes));
            var chosen = role == TlsCertificateRole.Client
                ? certificates.FirstOrDefault()
                : TlsFile.JudgedAnchor(certificates);
            return chosen is null
                ? null
                : (chosen.Subject, new DateTimeOffset(chosen.NotBefore.ToUniversalTime()), new DateTimeOffset(chosen.NotAfter.ToUniversalTime()));
        }
        catch (CryptographicException ex)
        {
            LogUnreadable(file, ex.Message);
            return null;
        }
        finally
        {
            foreach (var certificate in certificates)
            {
                certificate.Dispose();
            }
        }
    }

    private static string Utc(DateTimeOffset time) => Core.WireTime.Format(time);

    [LoggerMessage(EventId = 160, Level = LogLevel.Warning, Message = "{Reason}")]
    private partial void LogExpiring(string reason);

    [LoggerMessage(EventId = 161, Level = LogLevel.Critical, Message = "{Reason}")]
    private partial void LogOutsideWindow(string reason);

    [LoggerMessage(EventId = 162, Level = LogLevel.Information, Message = "The certificate in '{File}' is valid again, to {NotAfter}")]
    private partial void LogRenewed(string file, string notAfter);

    // Debug only: the publisher reads the same file at its next connect and reports it as fault.broker.
    [LoggerMessage(EventId = 163, Level = LogLevel.Debug, Message = "Certificate expiry check skipped '{File}': {Problem}")]
    private partial void LogUnreadable(string file, string problem);
}
