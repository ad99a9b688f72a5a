using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text.RegularExpressions;

namespace EdgeGuard.Mqtt.Publishing;

/// <summary>
/// Asks the broker, on a connection of its own, whether it refuses the gateway's TLS: the client
/// certificate above all (revoked, from another CA, expired).
/// </summary>
/// <remarks>
/// With TLS 1.3 the broker checks the client certificate after the client's side of the handshake
/// is over, then sends its alert (e.g. <c>unknown ca</c>) and closes with the client's last
/// handshake records unread, which resets the connection. MQTTnet does not read in between: it asks
/// the reset socket for its peer and fails with "Transport endpoint is not connected", or reads and
/// finds "Connection reset by peer". The alert sat unread in the socket, so the gateway took a broker
/// that refuses it for a link that is down, and raised no <c>fault.broker</c> (1 of the first 34
/// attempts read the alert on loopback: src/EdgeGuard.Mqtt/README.md). The probe does the same handshake and then only reads, so the alert is the
/// first thing it gets. A broker that took the handshake sends nothing before CONNECT: the read
/// waits out <see cref="Wait"/> and the probe says nothing.
/// </remarks>
internal static partial class TlsRefusalProbe
{
    /// <summary>How long the probe waits for an alert after its handshake.</summary>
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Whether a failed connect may be a broker that refused the gateway's TLS after the handshake:
    /// the broker took the TCP connection, then it was gone (reset, or no longer connected).
    /// </summary>
    public static bool MayBeRefusal(Exception failure)
    {
        for (Exception? current = failure; current is not null; current = current.InnerException)
        {
            if (current is SocketException { SocketErrorCode: SocketError.NotConnected or SocketError.ConnectionReset or SocketError.ConnectionAborted })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// When <paramref name="failure"/> of a connect with <paramref name="options"/> may be a broker
    /// that refused its TLS (<see cref="MayBeRefusal"/>), probes with the same TLS files and pinned
    /// check (<see cref="ClientOptionsFactory.BuildProbeTls"/>) and returns what ended the probe's
    /// connection (<see cref="ProbeAsync"/>). Null when TLS is off, the failure was something
    /// else, the files no longer load (the next connect says so), or the probe heard nothing.
    /// </summary>
    public static async Task<Exception?> ProbeAfterAsync(MqttPublisherOptions options, Exception failure, TimeProvider time, CancellationToken stoppingToken)
    {
        if (!options.Tls.Enabled || !MayBeRefusal(failure))
        {
            return null;
        }

        // Only a diagnosis: nothing it meets may end the publisher's loop (which runs it from its
        // catch of the connect's failure) or the command tool.
        SslClientAuthenticationOptions? tls = null;
        try
        {
            tls = ClientOptionsFactory.BuildProbeTls(options);
            return await ProbeAsync(options.Host, options.EffectivePort, tls, options.Timeout, time, stoppingToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return null; // the files no longer load (the next connect says so), or no socket to be had
        }
        finally
        {
            foreach (var certificate in tls?.ClientCertificates ?? [])
            {
                certificate.Dispose(); // its private key, read for this probe alone
            }
        }
    }

    /// <summary>
    /// The alert the broker ended TLS with, in OpenSSL's words (<c>unknown ca</c>, <c>certificate
    /// revoked</c>, <c>certificate expired</c>), from anywhere in <paramref name="failure"/>'s
    /// chain; null when it carries none.
    /// </summary>
    public static string? AlertIn(Exception failure)
    {
        for (Exception? current = failure; current is not null; current = current.InnerException)
        {
            if (TlsAlert().Match(current.Message) is { Success: true } alert)
            {
                return alert.Groups[1].Value;
            }
        }

        return null;
    }

    /// <summary>
    /// Connects to <paramref name="host"/>:<paramref name="port"/> with <paramref name="tls"/>, and
    /// returns what ended the connection within <see cref="Wait"/> after the handshake: the
    /// exception that carries the broker's alert, or the handshake's own failure. Null when the
    /// broker took the handshake and said nothing, or could not be reached at all.
    /// </summary>
    public static async Task<Exception?> ProbeAsync(
        string host, int port, SslClientAuthenticationOptions tls, TimeSpan timeout, TimeProvider time, CancellationToken stoppingToken)
    {
        using var limit = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, limit.Token);
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(host, port, linked.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            return null; // not even TCP: no TLS news
        }

        await using var stream = new SslStream(new NetworkStream(socket, ownsSocket: false), leaveInnerStreamOpen: false);
        try
        {
            await stream.AuthenticateAsClientAsync(tls, linked.Token).ConfigureAwait(false);
            using var wait = new CancellationTokenSource(Wait, time);
            using var waitOrStop = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, wait.Token);
            await stream.ReadAsync(new byte[1], waitOrStop.Token).ConfigureAwait(false);
            return null; // closed without an alert, or sent something: no refusal to read
        }
        catch (OperationCanceledException)
        {
            return null; // the broker took the handshake and waits for CONNECT
        }
        catch (Exception ex) when (ex is IOException or AuthenticationException or SocketException)
        {
            return ex;
        }
    }

    // OpenSSL's text for an alert from the peer, e.g. "error:0A000418:SSL routines::tlsv1 alert unknown ca".
    [GeneratedRegex(@"(?:ssl|tls)v\d+ alert ([a-z ]+)$", RegexOptions.CultureInvariant)]
    private static partial Regex TlsAlert();
}
