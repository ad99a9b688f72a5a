using EdgeGuard.Core.Ports;
using Xunit.Abstractions;
using EdgeGuard.Mqtt.Publishing;

namespace EdgeGuard.Mqtt.Tests.Infrastructure;

/// <summary>An <see cref="OutboxPublisher"/> wired to fakes, started and stopped like the host does.</summary>
public sealed class PublisherHarness : IAsyncDisposable
{
    private bool _stopped;

    /// <summary>Creates the publisher; <see cref="StartAsync"/> starts it.</summary>
    /// <param name="time">The publisher's clock; a fake one lets a test decide when intervals pass (the MQTT client keeps real time).</param>
    /// <param name="nextSession">The session counter; by default always <paramref name="session"/>.</param>
    /// <param name="faults">The fault sink; by default <see cref="Faults"/>, which records them.</param>
    /// <param name="journalStalls">Whether the journal's writer is stuck; by default never asked.</param>
    /// <param name="skipSeqsThrough">The journal's seq skip; by default none.</param>
    /// <param name="gate">A hook in front of each connection's client's publishes; by default none.</param>
    /// <param name="sessionAbove">The saved session above a floor; by default none (the publisher raises it in memory).</param>
    public PublisherHarness(
        MqttPublisherOptions options, ITestOutputHelper output, FakeOutbox? outbox = null, long session = 7, TimeProvider? time = null, Func<long>? nextSession = null,
        IEventSink? faults = null, IJournalStallSource? journalStalls = null, Func<long, long>? sessionAbove = null,
        Func<long, bool>? skipSeqsThrough = null, GatedMqttClient.Hook? gate = null)
    {
        Options = options;
        Outbox = outbox ?? new FakeOutbox();
        Publisher = new OutboxPublisher(options, Outbox, State, nextSession ?? (() => session), faults ?? Faults, time ?? TimeProvider.System, new TestLog<OutboxPublisher>(output),
            journalStalls, sessionAbove, skipSeqsThrough)
        {
            CreateClient = gate is null ? null : () => GatedMqttClient.Create(gate),
        };
    }

    /// <summary>The options used.</summary>
    public MqttPublisherOptions Options { get; }

    /// <summary>The outbox the publisher reads.</summary>
    public FakeOutbox Outbox { get; }

    /// <summary>The site state behind the retained state topics.</summary>
    public FakeSiteState State { get; } = new();

    /// <summary>Delivery faults the publisher reported.</summary>
    public RecordingSink Faults { get; } = new();

    /// <summary>The publisher under test.</summary>
    public OutboxPublisher Publisher { get; }

    /// <summary>Plain-TCP options for a broker on loopback, with short timers so faults show quickly.</summary>
    public static MqttPublisherOptions Plain(int port, string gateway = "gw-1") => new()
    {
        Site = "site-1",
        Gateway = gateway,
        Host = "127.0.0.1",
        Port = port,
        Tls = MqttTlsOptions.Disabled,
        KeepAlive = TimeSpan.FromSeconds(2),
        Timeout = TimeSpan.FromSeconds(5),
        ReconnectDelayMin = TimeSpan.FromMilliseconds(50),
        ReconnectDelayMax = TimeSpan.FromMilliseconds(400),
    };

    /// <summary>Starts the background service.</summary>
    public Task StartAsync() => Publisher.StartAsync(CancellationToken.None);

    /// <summary>Starts and waits until the first connection has caught up.</summary>
    public async Task StartAndCatchUpAsync(TimeSpan? timeout = null)
    {
        await StartAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        await Publisher.WaitUntilCaughtUpAsync(cts.Token);
    }

    /// <summary>Orderly stop, as at host shutdown.</summary>
    public async Task StopAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            await Publisher.StopAsync(CancellationToken.None);
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Publisher.Dispose();
    }
}
