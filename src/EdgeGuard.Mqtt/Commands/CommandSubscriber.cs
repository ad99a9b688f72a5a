using System.Threading.Channels;
using EdgeGuard.Core.Commands;
using EdgeGuard.Mqtt.Contract;
using EdgeGuard.Mqtt.Publishing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Adapter;
using MQTTnet.Protocol;

namespace EdgeGuard.Mqtt.Commands;

/// <summary>
/// Receives signed commands on <c>{root}/commands</c> (QoS 1) and answers on
/// <c>{root}/command-results</c> with the request's correlation data. Per message, before MQTTnet
/// sends the PUBACK (it does when this handler returns): size cap, verification (retain flag
/// included), the attempt journaled durably. After it: <c>accepted</c>/<c>rejected</c> published,
/// and an accepted command handed to the executor, whose outcome follows as <c>done</c> or
/// <c>rejected</c>. Commands are executed one at a time, in the order they arrived.
/// </summary>
/// <remarks>
/// <para>Its own connection, not the <see cref="OutboxPublisher"/>'s, because: the publisher's
/// session is clean-start (the journal is its queue) while commands need a persistent session so the
/// broker keeps a QoS 1 command through a short link loss (the contract's message expiry presumes
/// it); the publisher's in-flight window (the broker's Receive Maximum) is full during a replay of a
/// large backlog, and a command answer must not wait behind it; and a flood on the command topic
/// must not slow event delivery. The cost is a second connection, client id
/// <see cref="CommandSubscriberOptions.ClientId"/>, with no Last Will (availability stays the
/// publisher's).</para>
/// <para>Answers always go to the gateway's own results topic: the contract says so, and the
/// office's ACL lets the gateway publish nowhere else; a request's MQTT 5 Response Topic is
/// honoured when it names that topic and otherwise ignored, since obeying it would let anyone who
/// may publish a command make the gateway publish anywhere.</para>
/// </remarks>
public sealed partial class CommandSubscriber : BackgroundService
{
    private readonly CommandSubscriberOptions _options;
    private readonly CommandHandler _handler;
    private readonly TimeProvider _time;
    private readonly ILogger<CommandSubscriber> _log;
    private readonly Topics _topics;
    private readonly MqttClientFactory _factory = new();
    private readonly SemaphoreSlim _receiveGate = new(1, 1);
    // Answers to refusals, and, ahead of them, answers of accepted commands (accepted, done,
    // failed): the reply loop drains _answers first, so a flood's refusals never delay the office's
    // own commands (CommandSubscriber.Flood.cs).
    private readonly Channel<Reply> _replies;
    private readonly Channel<Reply> _answers;
    // The refusal answer being published, shed when an accepted command's answer is queued during
    // a flood episode (ReplyLoopAsync); null when none is.
    private CancellationTokenSource? _refusalInFlight;
    private readonly Channel<Accepted> _accepted;
    // The queue loops' token: not the stopping token, so that a stop finishes the queue (DrainAsync)
    // instead of dropping commands already accepted and acknowledged; cancelled at the drain deadline.
    private readonly CancellationTokenSource _drainDeadline;
    private Task _replyLoop = Task.CompletedTask;
    private Task _executeLoop = Task.CompletedTask;
    private Task? _drain;
    private TaskCompletionSource _subscribed = NewSignal();
    private IMqttClient? _client;
    private CancellationTokenSource? _clientGone;
    private long _received;
    private long _published;
    private long _dropped;
    private long _unconfirmed;
    private long _floodDrops;

    /// <summary>The settings this subscriber connects with.</summary>
    public CommandSubscriberOptions Options => _options;

    /// <summary>Creates the subscriber; the options' broker settings are validated here.</summary>
    public CommandSubscriber(CommandSubscriberOptions options, CommandHandler handler, TimeProvider time, ILogger<CommandSubscriber> log)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.QueueCapacity, 1, nameof(options));
        // Below the verifier's cap an over-long command would be dropped by the broker unanswered.
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxPacketBytes, 16 * 1024, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.SessionExpiry, TimeSpan.Zero, nameof(options));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.SessionExpiry, TimeSpan.FromDays(1), nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.ReceiveMaximum, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.ReceiveMaximum, ushort.MaxValue, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.DrainTimeout, TimeSpan.Zero, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxBacklog, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxBacklogBytes, options.MaxPacketBytes, nameof(options));
        // The ids from the gateway's secret, unless the host resolved them already (ClientIds).
        _options = options with { Broker = ClientIds.Resolve(options.Broker.ThrowIfInvalid(), out _) };
        _handler = handler ?? throw new ArgumentNullException(nameof(handler));
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _log = log ?? throw new ArgumentNullException(nameof(log));
        _topics = new Topics(options.Broker.Site, options.Broker.Gateway);
        _replies = Channel.CreateBounded<Reply>(new BoundedChannelOptions(options.QueueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        // Without a bound: executing a command never waits for room behind answers that wait for
        // the broker (they are never dropped, CommandSubscriber.Results.cs). It holds at most two
        // answers per accepted command not yet answered, and each of those needed an operator's
        // signature and came one at a time over the connection the answers wait for.
        // Not SingleReader: that variant cannot count (PublishRefusalAsync asks how many wait).
        _answers = Channel.CreateUnbounded<Reply>();
        _accepted = Channel.CreateBounded<Accepted>(new BoundedChannelOptions(options.QueueCapacity) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
        _drainDeadline = new CancellationTokenSource(Timeout.InfiniteTimeSpan, time);
    }

    /// <summary>
    /// Makes each connection's client, over the adapters given, instead of MQTTnet's factory: tests
    /// wrap the real client to make a publish wait as a full socket would.
    /// </summary>
    internal Func<IMqttClientAdapterFactory, IMqttClient>? CreateClient { get; init; }

    /// <summary>Whether the subscription is in place on a live connection.</summary>
    public bool IsSubscribed => Volatile.Read(ref _client) is not null;

    /// <summary>Messages received on the command topic since start.</summary>
    public long Received => Interlocked.Read(ref _received);

    /// <summary>Results published (and acknowledged by the broker) since start.</summary>
    public long ResultsPublished => Interlocked.Read(ref _published);

    /// <summary>
    /// Results not known to be published: an answer to a refusal with no connection or no PUBACK
    /// for a timeout, or shed in a flood (these two may still be published: their write is never
    /// cut), refused by the broker, or left at the stop's drain deadline. The journal still has
    /// the attempt.
    /// </summary>
    public long ResultsDropped => Interlocked.Read(ref _dropped);

    /// <summary>Results written whose PUBACK did not come within the timeout; not sent again.</summary>
    public long ResultsUnconfirmed => Interlocked.Read(ref _unconfirmed);

    /// <summary>Connections dropped since start because the command topic was flooded (CommandSubscriber.Flood.cs).</summary>
    public long FloodDrops => Interlocked.Read(ref _floodDrops);

    /// <summary>Completes when the subscriber is connected and subscribed.</summary>
    public Task WaitUntilSubscribedAsync(CancellationToken cancellationToken = default) =>
        Volatile.Read(ref _subscribed).Task.WaitAsync(cancellationToken);

    /// <inheritdoc/>
    public override void Dispose()
    {
        _receiveGate.Dispose();
        _drainDeadline.Dispose();
        base.Dispose();
    }

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _replyLoop = Task.Run(() => ReplyLoopAsync(_drainDeadline.Token), CancellationToken.None);
        _executeLoop = Task.Run(() => ExecuteLoopAsync(_drainDeadline.Token), CancellationToken.None);
        // Not awaited at the stop: a try mid-wait would add a store wait to a stop that makes its
        // own (StoreUnstoredResults below); it never throws, and ends with the stopping token.
        _ = Task.Run(() => HandOverLoopAsync(stoppingToken), CancellationToken.None);
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            var lasted = await ConnectAndListenAsync(stoppingToken).ConfigureAwait(false);
            if (stoppingToken.IsCancellationRequested)
            {
                break;
            }

            failures = NextFailures(failures, lasted);
            var delay = ReconnectBackoff.Delay(failures, _options.Broker.ReconnectDelayMin, _options.Broker.ReconnectDelayMax, Random.Shared.NextDouble());
            try
            {
                await Task.Delay(delay, _time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        // Already done when the stop found the connection up (ConnectAndListenAsync); otherwise the
        // queued commands are still executed, and their answers wait for a connection until the
        // drain's deadline, then are counted as dropped.
        await DrainAsync().ConfigureAwait(false);
        // Rejections and copies counted during a flood and not yet summed up: journaled before the
        // stop, not lost.
        await _handler.Rejections.FlushAsync().ConfigureAwait(false);
        await _handler.Repeats.FlushAsync().ConfigureAwait(false);
        // Refusals the replay store could not take: stored before the stop if the disk answers,
        // or a copy after the restart would be executed.
        _handler.StoreUnstoredResults();
    }

    /// <summary>One connection: connect, subscribe, then wait until it is lost or the service stops.</summary>
    private async Task<TimeSpan> ConnectAndListenAsync(CancellationToken stoppingToken)
    {
        // Answers pings while reading is held and lets the hold go as the connection ends
        // (HeldReadingAdapter, CommandSubscriber.Flood.cs).
        var pings = new HeldPings();
        var backlog = new ReceiveBacklog(_options.MaxBacklog, _options.MaxBacklogBytes, _options.Broker.Timeout, _time, BacklogHeld, pings);
        var adapters = new HeldReadingAdapterFactory(pings, backlog.Release);
        using var client = CreateClient?.Invoke(adapters) ?? _factory.CreateMqttClient(adapters);
        // Cancelled when this connection goes (ConnectionGone), or when a handler finds MQTTnet
        // ending it (EndingUnnoticed): what waits on it gives up. Not disposed: a result's publish
        // may still hold a token linked to it.
        var gone = new CancellationTokenSource();
        // With the time it went: the loop may learn of it only after a slow journal flush.
        var lost = new TaskCompletionSource<(MqttClientDisconnectReason Reason, DateTimeOffset At, string Text)>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.DisconnectedAsync += args =>
        {
            lost.TrySetResult((args.ClientWasConnected ? args.Reason : MqttClientDisconnectReason.NormalDisconnection, _time.GetUtcNow(), LossText.Disconnected(args)));
            return Task.CompletedTask;
        };
        var connection = new Connection(client, gone, backlog);
        client.InspectPacketAsync += backlog.OnPacketAsync;
        client.ApplicationMessageReceivedAsync += async args =>
        {
            try
            {
                // Acknowledged when handled, also under a flood: a PUBACK withheld made the broker
                // send every handled message again (CommandSubscriber.Flood.cs).
                await OnMessageAsync(args, stoppingToken, connection).ConfigureAwait(false);
            }
            finally
            {
                backlog.Handled();
            }
        };
        var started = _time.GetTimestamp();
        try
        {
            using var timeout = new CancellationTokenSource(_options.Broker.Timeout, _time);
            using var token = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, timeout.Token);
            // Before the CONNECT: the broker may hand over queued commands before ConnectAsync returns.
            _handler.CommandConnectionStarting();
            var connack = await client.ConnectAsync(ConnectOptions(), token.Token).ConfigureAwait(false);
            // Only now: MQTTnet hands messages over once the CONNECT is done, so reading held
            // before it would hold the connect itself.
            backlog.Arm();
            if (connack.ResultCode != MqttClientConnectResultCode.Success)
            {
                LogConnectRefused(connack.ResultCode.ToString());
                return TimeSpan.Zero;
            }

            SessionAnswered(connack.IsSessionPresent);

            // Retain As Published: without it the broker clears the retain flag on messages it
            // forwards to an existing subscription, and a retained command published while the
            // gateway listens would look like a fresh one. Retained messages only for a new
            // subscription: the session the broker kept has the subscription, so a reconnect (a
            // broker restart, a link flap) no longer gets a retained command again, refused and
            // journaled as a new alarm each time; a clean start (a first start, a session expired
            // or lost) still gets it and refuses it once, so the office hears it is there.
            var subscribe = _factory.CreateSubscribeOptionsBuilder()
                .WithTopicFilter(f => f.WithTopic(_topics.Commands).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).WithRetainAsPublished(true)
                    .WithRetainHandling(MqttRetainHandling.SendAtSubscribeIfNewSubscriptionOnly))
                .Build();
            var suback = await client.SubscribeAsync(subscribe, token.Token).ConfigureAwait(false);
            var code = suback.Items.Count == 1 ? suback.Items.First().ResultCode : MqttClientSubscribeResultCode.UnspecifiedError;
            if (code is not (MqttClientSubscribeResultCode.GrantedQoS1 or MqttClientSubscribeResultCode.GrantedQoS0))
            {
                // Typically the broker's ACL: the office cannot command this gateway until it is fixed.
                LogSubscribeRefused(_topics.Commands, code.ToString());
                return TimeSpan.Zero;
            }

            if (code == MqttClientSubscribeResultCode.GrantedQoS0)
            {
                // Served, but at most once: no persistent-session queueing while the link is down,
                // and a flood drop (CommandSubscriber.Flood.cs) loses what was waiting.
                LogGrantedQos0(_topics.Commands);
            }

            Volatile.Write(ref _clientGone, gone);
            Volatile.Write(ref _client, client);
            Volatile.Read(ref _subscribed).TrySetResult();
            LogSubscribed(_topics.Commands, _options.ClientId);
            await ReportSessionAsync(stoppingToken).ConfigureAwait(false);
            if (await Task.WhenAny(lost.Task, backlog.Exceeded.Task).WaitAsync(stoppingToken).ConfigureAwait(false) == backlog.Exceeded.Task)
            {
                backlog.Release();
                ConnectionGone(gone, _time.GetUtcNow());
                await DropFloodedConnectionAsync(client, backlog).ConfigureAwait(false);
                return TimeSpan.Zero; // short, but reconnects promptly if it made progress (NextFailures)
            }

            var (reason, _, text) = await lost.Task.ConfigureAwait(false);
            LogConnectionLost(text);
            await ConnectionLostAsync(reason, _time.GetElapsedTime(started), stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Orderly stop: below.
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogConnectFailed(ex.Message);
        }
        finally
        {
            if (stoppingToken.IsCancellationRequested && client.IsConnected)
            {
                // Before the disconnect: the results of commands accepted before the stop still reach the office.
                await DrainAsync().ConfigureAwait(false);
            }

            backlog.Release();
            // From when the connection went, which the handler noted, not from now, which may be
            // a slow journal flush later (a takeover's alarm).
            ConnectionGone(gone, lost.Task.IsCompletedSuccessfully ? lost.Task.Result.At : _time.GetUtcNow());

            if (stoppingToken.IsCancellationRequested && client.IsConnected)
            {
                await DisconnectQuietlyAsync(client).ConfigureAwait(false);
            }
        }

        return _time.GetElapsedTime(started);
    }

    internal MqttClientOptions ConnectOptions()
    {
        var options = ClientOptionsFactory.Build(_options.Broker with { ClientId = _options.ClientId }, _topics, session: 0);
        // The availability will is the publisher's alone: this connection dropping is not the
        // gateway going offline, and a second will would announce "offline" while it is not.
        options.WillTopic = null;
        options.WillPayload = null;
        options.WillUserProperties = null;
        options.CleanSession = false;
        options.SessionExpiryInterval = (uint)_options.SessionExpiry.TotalSeconds;
        options.MaximumPacketSize = (uint)_options.MaxPacketBytes;
        // MQTT 5 Receive Maximum: at most this many unacknowledged commands in flight to us. Commands
        // are handled one at a time; without it the broker may push up to 65,535, all buffered here.
        options.ReceiveMaximum = (ushort)_options.ReceiveMaximum;
        return options;
    }

    private async Task DisconnectQuietlyAsync(IMqttClient client)
    {
        try
        {
            using var timeout = new CancellationTokenSource(_options.Broker.Timeout, _time);
            var disconnect = new MqttClientDisconnectOptionsBuilder().WithReason(MqttClientDisconnectOptionsReason.NormalDisconnection).Build();
            await client.DisconnectAsync(disconnect, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogConnectFailed(ex.Message);
        }
    }

    private static async Task Quietly(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
