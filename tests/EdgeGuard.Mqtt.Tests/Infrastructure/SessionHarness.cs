using EdgeGuard.Mqtt.Contract;
using EdgeGuard.Mqtt.Publishing;
using MQTTnet;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests.Infrastructure;

/// <summary>
/// One <see cref="DeliverySession"/> over a <see cref="ScriptedMqttClient"/>, streaming live as
/// after a catch-up, with the publisher's shared parts (fault reporter, resend slot) at hand: for
/// what only a broker answering on cue shows. <see cref="EndAsync"/> ends it as a lost link does.
/// </summary>
internal sealed class SessionHarness : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly ITestOutputHelper _output;
    private readonly int _window;
    private DeliverySession? _session;
    private Task? _streaming;
    private bool _ended;

    /// <param name="delivered">Records journaled and already delivered when the session starts.</param>
    public SessionHarness(ITestOutputHelper output, long delivered, int window = 16, TimeSpan? stateCheckInterval = null)
    {
        Options = PublisherHarness.Plain(1) with { StateCheckInterval = stateCheckInterval ?? TimeSpan.FromSeconds(30) };
        Outbox.AppendMany((int)delivered);
        Outbox.MarkDelivered(delivered);
        Reporter = new DeliveryFaultReporter(Faults, TimeProvider.System);
        Client = ScriptedMqttClient.Create(out var script);
        Script = script;
        (_output, _window) = (output, window);
    }

    public MqttPublisherOptions Options { get; }

    public FakeOutbox Outbox { get; } = new();

    public FakeSiteState State { get; } = new();

    public Topics Topics { get; } = new("site-1", "gw-1");

    /// <summary>What the session journals (faults, resend.ended).</summary>
    public RecordingSink Faults { get; } = new();

    /// <summary>The publisher's delivery faults and unheard range, shared with the session.</summary>
    public DeliveryFaultReporter Reporter { get; }

    /// <summary>The publisher's resend slot, which the session takes a resend from.</summary>
    public ResendSlot Resends { get; } = new();

    public IMqttClient Client { get; }

    public ScriptedMqttClient Script { get; }

    /// <summary>Connects the session (what the reporter holds now is what it shows) and streams live on a background thread.</summary>
    public void Stream()
    {
        var delivered = Outbox.LastSeq;
        var session = _session = new DeliverySession(
            Client, _window, 0, delivered, delivered, Options, Outbox, State, Topics, Reporter, new BrokerFaultReporter(Faults, TimeProvider.System),
            new DeliveryStats(), TimeProvider.System, new TestLog<DeliverySession>(_output), Resends);
        _streaming = Task.Run(() => session.StreamAsync(_stop.Token));
    }

    /// <summary>The session ends as when its link is lost: the pump stops, then it is abandoned.</summary>
    public async Task EndAsync()
    {
        if (_ended)
        {
            return;
        }

        _ended = true;
        await _stop.CancelAsync();
        if (_streaming is not null)
        {
            await _streaming.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _session?.Abandon();
    }

    public async ValueTask DisposeAsync()
    {
        await EndAsync();
        _stop.Dispose();
    }
}
