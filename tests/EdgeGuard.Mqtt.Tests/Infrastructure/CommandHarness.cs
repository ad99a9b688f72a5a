using System.Collections.Concurrent;
using System.Security.Cryptography;
using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Mqtt.Commands;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests.Infrastructure;

/// <summary>Journals command attempts in memory; <see cref="Fail"/> makes it throw like a broken disk.</summary>
public sealed class RecordingCommandJournal : ICommandJournal
{
    private readonly ConcurrentQueue<DomainEvent> _events = new();

    private TaskCompletionSource? _held;
    private TaskCompletionSource? _release;
    private Func<DomainEvent, bool> _holds = static e => e is CommandReceived;

    public bool Fail { get; set; }

    /// <summary>How long every record takes, as on a slow disk (none by default).</summary>
    public TimeSpan Delay { get; set; }

    public IReadOnlyList<DomainEvent> Events => [.. _events];

    /// <summary>
    /// Makes the next <c>command.received</c> wait (as a slow disk would) until the returned
    /// release is set or the handler's token is cancelled; <c>Held</c> completes once it waits.
    /// The command's id is in the replay store by then, and no PUBACK has been sent.
    /// </summary>
    public (Task Held, TaskCompletionSource Release) HoldNextReceived() => HoldNext<CommandReceived>();

    /// <summary>As <see cref="HoldNextReceived"/>, for the next record of type <typeparamref name="T"/>.</summary>
    public (Task Held, TaskCompletionSource Release) HoldNext<T>()
        where T : DomainEvent
    {
        _holds = static e => e is T;
        _held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return (_held.Task, _release);
    }

    public async Task RecordAsync(DomainEvent attempt, CancellationToken cancellationToken)
    {
        if (Fail)
        {
            throw new IOException("disk I/O error");
        }

        if (Delay > TimeSpan.Zero)
        {
            await Task.Delay(Delay, cancellationToken);
        }

        if (_holds(attempt) && Interlocked.Exchange(ref _held, null) is { } held)
        {
            held.SetResult();
            await _release!.Task.WaitAsync(cancellationToken);
        }

        _events.Enqueue(attempt);
    }

    public void Enqueue(DomainEvent attempt) => _events.Enqueue(attempt);
}

/// <summary>Stands in for the controller: records what it was given and answers as told.</summary>
public sealed class FakeExecutor : ICommandExecutor
{
    private readonly ConcurrentQueue<VerifiedCommand> _executed = new();

    public Func<VerifiedCommand, CommandExecution> Answer { get; set; } = _ => new CommandExecution(true, null);

    /// <summary>
    /// When set, each command waits for it (or its token) after it was handed over, like a busy
    /// controller: the real one has it queued then, and carries it out whether or not the caller
    /// stops waiting, so it counts as executed.
    /// </summary>
    public Task? Hold { get; set; }

    /// <summary>Completes when a command has started executing (and is waiting for <see cref="Hold"/>).</summary>
    public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IReadOnlyList<VerifiedCommand> Executed => [.. _executed];

    public async Task<CommandExecution> ExecuteAsync(VerifiedCommand command, CancellationToken cancellationToken)
    {
        _executed.Enqueue(command);
        Started.TrySetResult();
        if (Hold is { } hold)
        {
            await hold.WaitAsync(cancellationToken);
        }

        return Answer(command);
    }
}

/// <summary>
/// The gateway's command path wired to fakes: a verifier with two operator keys made here (a
/// supervisor and a guard), a journal and an executor that record, and optionally a subscriber on a
/// real broker. Signs commands like the office does.
/// </summary>
public sealed class CommandHarness : IAsyncDisposable
{
    public const string Site = "site-1";
    public const string Gateway = "gw-1";
    public const string Root = "edgeguard/v1/site-1/gw-1";

    private readonly bool _ownsSupervisor;
    private readonly ITestOutputHelper? _output;

    // A quiet harness keeps its last log lines and writes them at the end (shown if the test
    // fails).
    private readonly TailLog? _tail;

    public CommandHarness(
        ITestOutputHelper? output, int? brokerPort = null, ISeenCommandIds? seen = null, bool quiet = false, ECDsa? supervisor = null,
        EdgeGuard.Mqtt.Publishing.MqttPublisherOptions? broker = null, Func<CommandSubscriberOptions, CommandSubscriberOptions>? tune = null,
        ILogger<CommandSubscriber>? subscriberLog = null, TimeProvider? time = null, TimeSpan? clockSkew = null, GatedMqttClient.Hook? gate = null)
    {
        // A restarted gateway is given the same supervisor key, as its config would.
        Supervisor = supervisor ?? ECDsa.Create(ECCurve.NamedCurves.nistP256);
        _ownsSupervisor = supervisor is null;
        Keys = new OperatorKeyRing(
        [
            OperatorKey.FromPem("sup.jones", OperatorRole.Supervisor, Supervisor.ExportSubjectPublicKeyInfoPem()),
            OperatorKey.FromPem("guard.smith", OperatorRole.Guard, Guard.ExportSubjectPublicKeyInfoPem()),
        ]);
        Seen = seen ?? new InMemorySeenCommandIds();
        var options = new CommandVerifierOptions(Site, Gateway) { ClockSkew = clockSkew ?? TimeSpan.FromSeconds(30) };
        _output = output;
        _tail = quiet && output is not null ? new TailLog() : null;
        ILogger<CommandHandler> handlerLog = _tail?.For<CommandHandler>() ?? (output is null ? NullLogger<CommandHandler>.Instance : new TestLog<CommandHandler>(output));
        Handler = new CommandHandler(new CommandVerifier(Keys, Seen, options), Journal, Executor, options.MaxPayloadBytes, time ?? TimeProvider.System, handlerLog);
        if (brokerPort is { } port)
        {
            Subscriber = new CommandSubscriber(
                (tune ?? (o => o))(new CommandSubscriberOptions { Broker = broker ?? PublisherHarness.Plain(port) }),
                Handler,
                TimeProvider.System,
                subscriberLog ?? _tail?.For<CommandSubscriber>() ?? (output is null ? NullLogger<CommandSubscriber>.Instance : new TestLog<CommandSubscriber>(output)))
            {
                CreateClient = gate is null ? null : adapters => GatedMqttClient.Create(gate, adapters),
            };
        }
    }

    /// <summary>A supervisor's private key ("sup.jones").</summary>
    public ECDsa Supervisor { get; }

    /// <summary>A guard's private key ("guard.smith").</summary>
    public ECDsa Guard { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    /// <summary>A key the gateway does not know.</summary>
    public ECDsa Stranger { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public OperatorKeyRing Keys { get; }

    public ISeenCommandIds Seen { get; }

    public RecordingCommandJournal Journal { get; } = new();

    public FakeExecutor Executor { get; } = new();

    public CommandHandler Handler { get; }

    public CommandSubscriber? Subscriber { get; }

    /// <summary>A command's arguments from their JSON text.</summary>
    public static JsonObjectItem Args(string json) => (JsonObjectItem)StrictJson.TryParse(System.Text.Encoding.UTF8.GetBytes(json), out _)!;

    /// <summary>A signed command payload, as `edgeguard command sign` prints it.</summary>
    public byte[] Sign(
        CommandType type = CommandType.Lockdown, string @operator = "sup.jones", ECDsa? key = null, DateTimeOffset? issuedAt = null,
        TimeSpan? ttl = null, JsonObjectItem? args = null, string site = Site, string gateway = Gateway)
    {
        var command = CommandSigner.Create(type, site, gateway, @operator, issuedAt ?? DateTimeOffset.UtcNow, ttl ?? TimeSpan.FromSeconds(60), args);
        return CommandSigner.Sign(command, key ?? Supervisor).ToPayload();
    }

    /// <summary>The handler's first step for one payload as received, not retained, without a broker.</summary>
    public Task<CommandAttempt> ReceiveAsync(byte[] payload) =>
        Handler.ReceiveAsync(new System.Buffers.ReadOnlySequence<byte>(payload), retained: false, CancellationToken.None);

    /// <summary>Starts the subscriber and waits until it is subscribed.</summary>
    public async Task StartAsync()
    {
        await Subscriber!.StartAsync(CancellationToken.None);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await Subscriber.WaitUntilSubscribedAsync(cts.Token);
    }

    public async ValueTask DisposeAsync()
    {
        if (Subscriber is not null)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            await Subscriber.StopAsync(cts.Token);
            Subscriber.Dispose();
        }

        if (_ownsSupervisor)
        {
            Supervisor.Dispose();
        }

        Guard.Dispose();
        Stranger.Dispose();
        if (_output is not null)
        {
            _tail?.WriteTo(_output);
        }
    }
}
