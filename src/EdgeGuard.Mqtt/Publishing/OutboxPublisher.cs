using EdgeGuard.Core.Ports;
using EdgeGuard.Mqtt.Contract;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeGuard.Mqtt.Publishing;

/// <summary>
/// Publishes the journal's outbox to the office broker, in seq order, at least once. Per connection:
/// connect (Last Will <c>offline</c>), birth <c>online</c>, replay what was journaled before the
/// connection (<c>replayed: true</c>), republish every retained state topic, then stream new
/// records. The cursor moves only over a contiguous prefix of successful PUBACKs. Reconnects run
/// in this loop with exponential backoff and jitter, never from MQTTnet's disconnect handler.
/// </summary>
/// <param name="options">Broker, identity and tuning; validated here.</param>
/// <param name="outbox">The journal's delivery side.</param>
/// <param name="siteState">Source of the retained state topics.</param>
/// <param name="nextSession">
/// Returns the next value of the persisted session counter; called once per process start. The
/// value rides on every availability message (user property <c>session</c>), so the office can
/// tell a restart (new value) from a reconnect (same value).
/// </param>
/// <param name="faults">
/// Receives the publisher's faults (<c>fault.delivery</c>, <c>fault.broker</c> and its restore);
/// one that throws is logged, never passed on.
/// </param>
/// <param name="time">Clock for timeouts, backoff and state timestamps.</param>
/// <param name="log">Log.</param>
/// <param name="journalStalls">
/// Whether the journal's writer is stuck, shown on <c>state/delivery</c>; read at each state check,
/// never through the journal (that is what is stuck). Null: not shown.
/// </param>
/// <param name="sessionAbove">
/// Returns a saved session above the one given: taken when the broker's retained availability
/// shows the journal went back (OutboxPublisher.WentBack.cs). Null: the raised session is this
/// process's only.
/// </param>
/// <param name="skipSeqsThrough">
/// Makes the journal skip every seq up to the one given (with a journal.gap): taken when the
/// broker's orderly offline names a last seq above the journal's. Null: seqs are not raised.
/// </param>
public sealed partial class OutboxPublisher(
    MqttPublisherOptions options,
    IOutbox outbox,
    ISiteStateSource siteState,
    Func<long> nextSession,
    IEventSink faults,
    TimeProvider time,
    ILogger<OutboxPublisher> log,
    IJournalStallSource? journalStalls = null,
    Func<long, long>? sessionAbove = null,
    Func<long, bool>? skipSeqsThrough = null) : BackgroundService
{
    // The ids from the gateway's secret, unless the host resolved them already (ClientIds).
    private readonly MqttPublisherOptions _options = ClientIds.Resolve((options ?? throw new ArgumentNullException(nameof(options))).ThrowIfInvalid(), out _);
    private readonly IOutbox _outbox = outbox ?? throw new ArgumentNullException(nameof(outbox));
    private readonly ISiteStateSource _siteState = siteState ?? throw new ArgumentNullException(nameof(siteState));
    private readonly Func<long> _nextSession = nextSession ?? throw new ArgumentNullException(nameof(nextSession));
    private readonly Func<long, long>? _sessionAbove = sessionAbove;
    private readonly Func<long, bool>? _skipSeqsThrough = skipSeqsThrough;
    // Each reporter's sink is guarded: a sink that throws must not end the loop (GuardedFaultSink).
    private readonly DeliveryFaultReporter _faults = new(Guarded(faults, log), time ?? throw new ArgumentNullException(nameof(time)));
    private readonly BrokerFaultReporter _brokerFaults = new(Guarded(faults, log), time);
    private readonly IEventSink _takeovers = Guarded(faults, log);
    private readonly TimeProvider _time = time;
    private readonly ILogger<OutboxPublisher> _log = log ?? throw new ArgumentNullException(nameof(log));
    private readonly Topics _topics = new(options.Site, options.Gateway);
    private readonly DeliveryStats _stats = new();
    private readonly MqttClientFactory _factory = new();
    private TaskCompletionSource _caughtUp = NewSignal();
    private Connection? _connection;
    private long _sessionNumber;
    private long _connects;
    private long _connectAttempts;
    private long _highestSent;
    private string? _tlsFileProblem;

    /// <summary>
    /// The longest an orderly stop spends on the broker (half for delivering the outbox, the rest
    /// for <c>offline</c> and DISCONNECT), or <see cref="MqttPublisherOptions.Timeout"/> when that is shorter: it must fit
    /// the host's shutdown budget (18 s) with the office commands' drain.
    /// </summary>
    public static readonly TimeSpan OrderlyStopLimit = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Makes each connection's client instead of MQTTnet's factory: tests wrap the real client to
    /// see what each publish is given.
    /// </summary>
    internal Func<IMqttClient>? CreateClient { get; init; }

    /// <summary>The topic map this publisher uses.</summary>
    public Topics Topics => _topics;

    /// <summary>Whether a broker connection is up (from CONNACK until it is lost).</summary>
    public bool IsConnected => Volatile.Read(ref _connection) is not null;

    /// <summary>Whether the current connection has replayed the backlog and republished all state.</summary>
    public bool IsCaughtUp => IsConnected && Volatile.Read(ref _caughtUp).Task.IsCompleted;

    /// <summary>The session counter of this process (0 until the publisher has started).</summary>
    public long SessionNumber => Interlocked.Read(ref _sessionNumber);

    /// <summary>Successful connects (CONNACK success) since start.</summary>
    public long Connects => Interlocked.Read(ref _connects);

    /// <summary>Refused event publishes since start, retries included (compare <see cref="DeliveryFaultsReported"/>).</summary>
    public long RefusedPublishes => _faults.Refusals;

    /// <summary>Connection attempts since start, successful or not.</summary>
    public long ConnectAttempts => Interlocked.Read(ref _connectAttempts);

    /// <summary>
    /// Why the last connection attempt could not even start, when that was the gateway's own TLS
    /// files (<c>TLS client key file '/etc/edgeguard/tls/gw.key' does not exist</c>); null once they
    /// load again. For the systemd status line: the technician must see which file to put back.
    /// </summary>
    public string? TlsFileProblem => Volatile.Read(ref _tlsFileProblem);

    /// <summary>Connections the broker refused or cut off with a reason, and failed TLS handshakes, since start.</summary>
    public long BrokerRefusals => _brokerFaults.Refusals;

    /// <summary>Delivery faults reported since start (one per refusal episode).</summary>
    public long DeliveryFaultsReported => _faults.Reported;

    /// <summary>
    /// Completes when the publisher is connected, has replayed everything journaled before the
    /// connection and has republished all retained state. Completes at once when that is already so.
    /// </summary>
    public Task WaitUntilCaughtUpAsync(CancellationToken cancellationToken = default) =>
        Volatile.Read(ref _caughtUp).Task.WaitAsync(cancellationToken);

    /// <summary>
    /// Drops the TCP connection without an MQTT DISCONNECT, as a crash or cut cable would: the broker
    /// publishes the Last Will and the publisher reconnects. For drills and tests.
    /// </summary>
    internal void AbortConnection()
    {
        if (Volatile.Read(ref _connection) is { } connection)
        {
            connection.Client.Dispose();
            CancelQuietly(connection.LinkLost);
        }
    }

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (await TakeSessionAsync(stoppingToken).ConfigureAwait(false) is not { } session)
        {
            return; // stopped before a session number could be had: nothing was ever sent
        }

        Interlocked.Exchange(ref _sessionNumber, session);
        LogStarting(_options.Host, _options.EffectivePort, _options.Tls.Enabled, _topics.Root, session);
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            // Raised when the journal went back (OutboxPublisher.WentBack.cs).
            session = Interlocked.Read(ref _sessionNumber);
            var lasted = await ConnectAndDeliverAsync(session, stoppingToken).ConfigureAwait(false);
            if (stoppingToken.IsCancellationRequested)
            {
                break;
            }

            // A connection that did not even last a keep-alive counts as a failure, so two gateways
            // fighting over one client id (session takeover) back off instead of spinning.
            failures = lasted >= _options.KeepAlive ? 0 : failures + 1;
            var delay = ReconnectBackoff.Delay(failures, _options.ReconnectDelayMin, _options.ReconnectDelayMax, Random.Shared.NextDouble());
            LogReconnecting(delay.TotalMilliseconds, failures);
            try
            {
                await Task.Delay(delay, _time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        LogStopped(_outbox.DeliveredThrough, _outbox.LastSeq);
    }

    private async Task<TimeSpan> ConnectAndDeliverAsync(long session, CancellationToken stoppingToken)
    {
        using var client = CreateClient?.Invoke() ?? _factory.CreateMqttClient();
        using var linkLost = new CancellationTokenSource();
        var lostBecause = "the connection was closed";
        var started = _time.GetTimestamp(); // a takeover episode ends with a connection that lasted
        client.DisconnectedAsync += args =>
        {
            lostBecause = LossText.Disconnected(args);
            try
            {
                if (args.ClientWasConnected)
                {
                    ConnectionEnded(args.Reason, _time.GetElapsedTime(started));
                    if (BrokerClosedWith(args) is { } closed)
                    {
                        _brokerFaults.Refused(closed);
                    }
                }
            }
            finally
            {
                // Also the signal that the handler is done (see WaitForDisconnectHandlerAsync).
                CancelQuietly(linkLost);
            }

            return Task.CompletedTask;
        };

        var connack = await TryConnectAsync(client, session, stoppingToken).ConfigureAwait(false);
        if (connack is null)
        {
            return TimeSpan.Zero;
        }

        var connectedAt = _time.GetTimestamp();
        var window = SessionWindow(_options.MaxInFlight, connack.ReceiveMaximum);
        var replayThrough = _outbox.LastSeq;
        using var sessionToken = CancellationTokenSource.CreateLinkedTokenSource(linkLost.Token, stoppingToken);
        // Ends the birth's retries, its repeats and the availability watch with the connection,
        // before an orderly offline, and without waiting for a PUBACK of a link that is gone.
        using var birthsStop = CancellationTokenSource.CreateLinkedTokenSource(sessionToken.Token);
        // Online again after a rebirth or over a late will (OutboxPublisher.LateWill.cs).
        var births = new BirthAgain(() => PublishAvailabilityAsync(client, Payloads.Online, session, birthsStop.Token));
        var delivery = new DeliverySession(
            client, window, connack.MaximumPacketSize ?? 0, replayThrough, Interlocked.Read(ref _highestSent), _options, _outbox, _siteState, _topics, _faults, _brokerFaults, _stats, _time, _log,
            _resends, journalStalls, births.Publish);
        Interlocked.Increment(ref _connects);
        Volatile.Write(ref _sessionWindow, window); // before the link shows: StartResend reads it after
        Volatile.Write(ref _connection, new Connection(client, linkLost));
        Task? birthRetry = null;
        Task? watch = null;
        Task? stalePoints = null;
        var disconnectSeen = false;
        _brokerFaults.Connected();
        try
        {
            // Before the birth: the watch's subscription delivers what the topic held, and a
            // journal that went back is found from it (OutboxPublisher.WentBack.cs).
            watch = WatchAvailabilityAsync(client, session, births, birthsStop.Token);
            await watch.ConfigureAwait(false);
            if (await CheckWentBackAsync(client, session, sessionToken.Token).ConfigureAwait(false) is not null)
            {
                // Again with the raised session, the will included; a normal DISCONNECT drops
                // this connection's will of the lower one.
                await client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build(), sessionToken.Token).ConfigureAwait(false);
                return TimeSpan.Zero;
            }

            births.Open(); // a late will from here on is answered; one before needs none (BirthAgain)
            if (!await PublishAvailabilityAsync(client, Payloads.Online, session, sessionToken.Token).ConfigureAwait(false))
            {
                // Events flow meanwhile; the birth is retried beside them
                // (OutboxPublisher.Availability.cs).
                birthRetry = RetryBirthAsync(client, session, birthsStop.Token);
            }

            LogConnected(_options.Host, _options.EffectivePort, session, _outbox.DeliveredThrough, replayThrough, window);
            await delivery.ReplayAsync(sessionToken.Token).ConfigureAwait(false);
            await delivery.RepublishStateAsync(sessionToken.Token).ConfigureAwait(false);
            // Retained copies of points no longer in the config (OutboxPublisher.StalePoints.cs).
            stalePoints = ClearStalePointsAsync(client, birthsStop.Token);
            _brokerFaults.Restored(); // first: whoever sees the catch-up sees the episode ended
            Volatile.Read(ref _caughtUp).TrySetResult();
            LogCaughtUp(_outbox.DeliveredThrough);
            await delivery.StreamAsync(sessionToken.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Orderly shutdown: handled below.
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            disconnectSeen = ex is MQTTnet.Exceptions.MqttClientUnexpectedDisconnectReceivedException or MQTTnet.Exceptions.MqttClientDisconnectedException;
            var reason = linkLost.IsCancellationRequested ? Volatile.Read(ref lostBecause) : $"{ex.GetType().Name}: {LossText.Chain(ex)}";
            LogConnectionLost(reason, _outbox.DeliveredThrough);
        }
        finally
        {
            Volatile.Write(ref _connection, null);
            ResetCaughtUp();
            await birthsStop.CancelAsync().ConfigureAwait(false);
            await births.CloseAsync().ConfigureAwait(false); // none may follow the orderly offline
            await (watch ?? Task.CompletedTask).ConfigureAwait(false);
            await (stalePoints ?? Task.CompletedTask).ConfigureAwait(false);
            await StopBirthRetryAsync(birthRetry, birthsStop).ConfigureAwait(false);
            await WaitForDisconnectHandlerAsync(client, disconnectSeen, linkLost.Token).ConfigureAwait(false);
            if (stoppingToken.IsCancellationRequested && client.IsConnected)
            {
                await CloseOrderlyAsync(client, delivery, session).ConfigureAwait(false);
            }

            delivery.Abandon();
            Interlocked.Exchange(ref _highestSent, delivery.HighestSent);
        }

        return _time.GetElapsedTime(connectedAt);
    }

    private async Task<MqttClientConnectResult?> TryConnectAsync(IMqttClient client, long session, CancellationToken stoppingToken)
    {
        using var timeout = new CancellationTokenSource(_options.Timeout, _time);
        using var connectToken = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, timeout.Token);
        Interlocked.Increment(ref _connectAttempts);
        if (BuildClientOptions(session) is not { } clientOptions)
        {
            return null; // a TLS file is missing or unusable: nothing is sent without it
        }

        try
        {
            var connack = await client.ConnectAsync(clientOptions, connectToken.Token).ConfigureAwait(false);
            if (connack.ResultCode == MqttClientConnectResultCode.Success)
            {
                return connack;
            }

            var refusal = Reason(connack.ResultCode, (int)connack.ResultCode, connack.ReasonString);
            LogConnectRefused(_options.Host, _options.EffectivePort, refusal.Text);
            _brokerFaults.Refused(refusal.Prefixed("the broker refused the connection: "));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogConnectFailed(_options.Host, _options.EffectivePort, LossText.Chain(ex));
            if ((TlsFailure(ex) ?? await ProbedTlsFailureAsync(ex, stoppingToken).ConfigureAwait(false)) is { } tls)
            {
                _brokerFaults.Refused(tls.Prefixed("the TLS handshake failed: "));
            }
        }

        return null;
    }

    private void ResetCaughtUp()
    {
        var current = Volatile.Read(ref _caughtUp);
        if (current.Task.IsCompleted)
        {
            Interlocked.CompareExchange(ref _caughtUp, NewSignal(), current);
        }
    }

    private static GuardedFaultSink Guarded(IEventSink? faults, ILogger? log) =>
        new(faults ?? throw new ArgumentNullException(nameof(faults)), log ?? throw new ArgumentNullException(nameof(log)));

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static void CancelQuietly(CancellationTokenSource source)
    {
        try
        {
            source.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The connection is already over.
        }
    }

    private sealed record Connection(IMqttClient Client, CancellationTokenSource LinkLost);
}
