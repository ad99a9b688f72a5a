using System.Security.Authentication;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using EdgeGuard.Core;
using EdgeGuard.Core.Lockdown;
using MQTTnet;

namespace EdgeGuard.Mqtt.Publishing;

/// <summary>
/// The publisher's side of <c>fault.broker</c>: which disconnects and connect failures are the broker
/// refusing this gateway, or the gateway's own TLS files keeping it from connecting (reported
/// through <see cref="BrokerFaultReporter"/>), and when an episode ends. See README "A broker that refuses the gateway itself raises fault.broker".
/// </summary>
public sealed partial class OutboxPublisher
{
    // How much of a broker's reason string a fault keeps.
    private const int MaxReasonString = 200;

    // How long a TLS file fault's reason may grow: it names paths, which must survive whole, within
    // the contract's 1024 characters.
    internal const int MaxFileReason = 1000;

    private readonly TakeoverEpisode _takeoverEpisode = new(TakeoverEpisode.QuietTime(options));

    // MQTTnet raises DisconnectedAsync on its own task, after it closed the socket. When the loop
    // learned of the loss first (a PUBLISH failed by the broker's DISCONNECT, which MQTTnet fails
    // before it marks the client disconnected; an idle check), it waits here, at most Timeout, so a
    // broker fault is not reported after the next connection has caught up. A client still
    // connected that the loop gave up on (no PUBACK in time) is not waited for: its handler comes
    // from the receive loop later, with no reason code.
    private async Task WaitForDisconnectHandlerAsync(IMqttClient client, bool disconnectSeen, CancellationToken handled)
    {
        if (handled.IsCancellationRequested || (client.IsConnected && !disconnectSeen))
        {
            return;
        }

        await Task.Delay(_options.Timeout, _time, handled).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    // The options of one attempt, with the TLS files read from disk now (a rotated or restored file
    // takes effect here, no restart). A file that is missing or does not load keeps the attempt from
    // starting at all, never from going ahead in clear text or without the client certificate. It
    // is the same episode as a broker refusing the gateway, for the same reason: the office cannot
    // hear it. So it is fault.broker, once per reason, journaled now and read by the office once the
    // link works again; and one critical line naming the file, since only a visit mends it.
    private MqttClientOptions? BuildClientOptions(long session)
    {
        try
        {
            var built = ClientOptionsFactory.Build(_options, _topics, session);
            if (Interlocked.Exchange(ref _tlsFileProblem, null) is { } was)
            {
                LogTlsFilesUsable(was);
            }

            return built;
        }
        catch (Exception ex) when (_options.Tls.Enabled && ex is IOException or UnauthorizedAccessException or CryptographicException)
        {
            // Each names the file, its path and its setting: a missing or closed-off file, or one
            // that is there and does not load (TlsFileException), with the runtime's reason after.
            var missing = _options.Tls.FileProblems();
            var problem = missing.Count > 0 ? "TLS " + string.Join("; TLS ", missing)
                : ex is TlsFileException ? "TLS " + ex.Message
                : "TLS files cannot be loaded: " + LossText.Chain(ex);
            if (!string.Equals(Interlocked.Exchange(ref _tlsFileProblem, problem), problem, StringComparison.Ordinal))
            {
                LogTlsFilesUnusable(problem);
            }
            else
            {
                LogConnectFailed(_options.Host, _options.EffectivePort, problem);
            }

            _brokerFaults.Refused(Shortened("the gateway's " + problem, MaxFileReason));
            return null;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Not the TLS files (those are the only ones read): a failed attempt like any other.
            LogConnectFailed(_options.Host, _options.EffectivePort, LossText.Chain(ex));
            return null;
        }
    }

    // Reason 142: another client connected with the publisher's client id, derived from the
    // gateway's secret (ClientIds), so one that holds it or the broker's administrator. Not the broker
    // refusing the gateway (no fault.broker episode, BrokerClosedWith): its own alarm, naming the
    // connection, once per episode (TakeoverEpisode: two processes fighting over the id would
    // raise one every few seconds), and the loop reconnects as after any loss, taking the id back.
    // Every loss's length counts, since a long connection ends an episode however it ends. From
    // the disconnect handler.
    private void ConnectionEnded(MqttClientDisconnectReason reason, TimeSpan lasted)
    {
        var (takenOver, opened, ended) = _takeoverEpisode.Observe(reason, lasted);
        if (ended > 0)
        {
            LogTakeoversEnded(_options.ClientId, ended);
        }

        if (!takenOver)
        {
            return;
        }

        LogTakenOver(_options.ClientId);
        if (opened)
        {
            _takeovers.Publish([new SessionTakenOver(_time.GetUtcNow(), BrokerConnection.Publisher)]);
        }
    }

    // A DISCONNECT in which the broker refuses this gateway. A dropped socket, a broker that was
    // killed, a keep-alive that ran out on our side and our own close all read as NormalDisconnection;
    // a takeover is TakenOver's, not a refusal;
    // a broker shutting down, busy, or ending a connection at its maximum connect time, and its view
    // that our keep-alive ran out, are the link's news, not a refusal. So is 131: MQTTnet's own code
    // when it drops a connection over an AUTH packet it does not handle.
    private static BrokerRefusal? BrokerClosedWith(MqttClientDisconnectedEventArgs args) => args.Reason switch
    {
        MqttClientDisconnectReason.UnspecifiedError
            or MqttClientDisconnectReason.MalformedPacket
            or MqttClientDisconnectReason.ProtocolError
            or MqttClientDisconnectReason.NotAuthorized
            or MqttClientDisconnectReason.TopicFilterInvalid
            or MqttClientDisconnectReason.TopicNameInvalid
            or MqttClientDisconnectReason.ReceiveMaximumExceeded
            or MqttClientDisconnectReason.TopicAliasInvalid
            or MqttClientDisconnectReason.PacketTooLarge
            or MqttClientDisconnectReason.MessageRateTooHigh
            or MqttClientDisconnectReason.QuotaExceeded
            or MqttClientDisconnectReason.AdministrativeAction
            or MqttClientDisconnectReason.PayloadFormatInvalid
            or MqttClientDisconnectReason.RetainNotSupported
            or MqttClientDisconnectReason.QosNotSupported
            or MqttClientDisconnectReason.UseAnotherServer
            or MqttClientDisconnectReason.ServerMoved
            or MqttClientDisconnectReason.ConnectionRateExceeded
            => Reason(args.Reason, (int)args.Reason, args.ReasonString).Prefixed("the broker closed the connection: "),
        _ => null,
    };

    // Why TLS failed, when it did: the pinned check's refusal of the broker's certificate (thrown by
    // ClientOptionsFactory's validation handler), or the alert the broker ended TLS with. With TLS
    // 1.3 a broker that refuses the gateway's certificate does so after the handshake: the alert
    // (e.g. "unknown ca") shows on the first read, or, mostly, the socket is just gone: then
    // TlsRefusalProbe asks again on a connection that only reads (ProbedTlsFailureAsync).
    // Null when the failure was not TLS (refused socket, timeout). The pinned check's refusal keeps
    // its own key (a certificate outside its window: without the clock reading its words give).
    private static BrokerRefusal? TlsFailure(Exception ex)
    {
        if (TlsRefusalProbe.AlertIn(ex) is { } alert)
        {
            return BrokerRefusal.Stable($"the broker ended TLS with the alert '{alert}'");
        }

        AuthenticationException? innermost = null;
        for (Exception? current = ex; current is not null; current = current.InnerException)
        {
            innermost = current as AuthenticationException ?? innermost;
        }

        // The handshake's wrapper says only "Authentication failed, see inner exception": add the
        // deepest cause (e.g. OpenSSL's "wrong version number" for a port that does not speak TLS).
        var deepest = ex;
        while (deepest.InnerException is { } inner)
        {
            deepest = inner;
        }

        if (innermost is null)
        {
            return null;
        }

        var key = innermost is BrokerCertificateRefusedException refused ? refused.RepeatKey : innermost.Message;
        return ReferenceEquals(innermost, deepest)
            ? new BrokerRefusal(innermost.Message, key)
            : new BrokerRefusal($"{innermost.Message} -> {deepest.Message}", $"{key} -> {deepest.Message}");
    }

    // A connect that failed with the socket gone right after TLS may be the broker refusing the
    // gateway's certificate, with its alert unread (TlsRefusalProbe): ask again on a connection that
    // only reads. Null when it was not TLS, or the probe heard no refusal.
    private async Task<BrokerRefusal?> ProbedTlsFailureAsync(Exception failure, CancellationToken stoppingToken)
    {
        var heard = await TlsRefusalProbe.ProbeAfterAsync(_options, failure, _time, stoppingToken).ConfigureAwait(false);
        if (heard is null || TlsFailure(heard) is not { } refusal)
        {
            return null;
        }

        LogConnectFailed(_options.Host, _options.EffectivePort, "the TLS probe after it: " + LossText.Chain(heard));
        return refusal;
    }

    // A broker's reason string is its own text of any length; the journal's reason field has a limit.
    internal static string ReasonText<TCode>(TCode code, int value, string? reasonString) => string.IsNullOrEmpty(reasonString)
        ? $"{code} ({value})"
        : $"{code} ({value}): {Shortened(reasonString)}";

    // A broker's refusal: its words as ReasonText gives them, recognised again by its code and its
    // reason string with every run of digits as one '#'. The reason string is the broker's own text,
    // which may number its refusals or give its time, ports or a connection id; a key that changed
    // with them made every reconnect a new fault.broker. A reason string that differs in words is
    // still a new reason.
    internal static BrokerRefusal Reason<TCode>(TCode code, int value, string? reasonString) =>
        new(ReasonText(code, value, reasonString), ReasonKey(code, value, reasonString));

    internal static string ReasonKey<TCode>(TCode code, int value, string? reasonString) =>
        ReasonText(code, value, reasonString is null ? null : Digits().Replace(reasonString, "#"));

    [GeneratedRegex(@"\d+", RegexOptions.CultureInvariant)]
    private static partial Regex Digits();

    // Cut at a whole character: half a surrogate pair is not valid UTF-8 in the journal's JSON.
    internal static string Shortened(string text, int max = MaxReasonString) =>
        text.Length <= max ? text : TextCut.Cut(text, max) + "…";
}
