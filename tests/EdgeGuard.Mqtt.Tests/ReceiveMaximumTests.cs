using EdgeGuard.Core.Lockdown;
using EdgeGuard.Mqtt.Publishing;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using MQTTnet;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// The broker's Receive Maximum (CONNACK) bounds every QoS 1 PUBLISH the publisher has
/// unacknowledged, not only the event window: a stale point's delete, the birth's retries and a
/// rebirth go out beside it. One over the limit is a protocol error [MQTT-3.3.4-7]; a broker that
/// enforces it (EMQX, HiveMQ) disconnects with 147, and the same overlap can come again after the
/// reconnect. Mosquitto acknowledges at once and does not enforce it, so the test counts what the
/// publisher has started and not yet seen acknowledged.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class ReceiveMaximumTests(ITestOutputHelper output)
{
    private const string Root = "edgeguard/v1/site-1/gw-1";
    private const string StaleTopic = Root + "/state/points/door-old";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_stale_points_delete_beside_a_full_event_window_keeps_within_the_brokers_receive_maximum()
    {
        const int receiveMaximum = 5;
        await using var broker = await MosquittoBroker.StartAsync(new MosquittoSettings { MaxInflightMessages = receiveMaximum });
        // A retained state of a point the config no longer has: deleted after the connect's
        // catch-up, while the events below stream.
        await RemovedPointTests.RunOldConfigAsync(broker.Port, output);

        var outstanding = new OutstandingPublishes(receiveMaximum);
        await using var harness = new PublisherHarness(PublisherHarness.Plain(broker.Port), output, gate: outstanding.Hook);
        harness.State.Current = SiteStates.Of(SiteMode.Normal, ("door-a", false));
        await harness.StartAndCatchUpAsync();
        harness.Outbox.AppendMany(200);

        await harness.Outbox.WaitForDeliveredAsync(200, Patience);
        await Eventually.TrueAsync(() => harness.Publisher.StalePointsCleared == 1, Patience, "the stale point's retained state deleted");
        output.WriteLine($"at most {outstanding.Max} publishes unacknowledged, {outstanding.MaxEvents} of them events");
        Assert.True(outstanding.DeleteOverlapped, "the delete went out while events were unacknowledged");
        Assert.InRange(outstanding.Max, 2, receiveMaximum);
        Assert.Empty(harness.Faults.Events);
    }

    [Theory]
    [InlineData(64, null, 64)] // no Receive Maximum announced: 65,535
    [InlineData(64, (ushort)0, 64)]
    [InlineData(64, (ushort)20, 18)] // Mosquitto's default
    [InlineData(64, (ushort)64, 62)] // deploy/office/mosquitto.conf
    [InlineData(10, (ushort)64, 10)]
    [InlineData(64, (ushort)3, 1)]
    [InlineData(64, (ushort)2, 1)] // nothing left beside the window; never none
    [InlineData(64, (ushort)1, 1)]
    public void The_window_leaves_room_beside_it_within_the_receive_maximum(int maxInFlight, ushort? receiveMaximum, int window) =>
        Assert.Equal(window, OutboxPublisher.SessionWindow(maxInFlight, receiveMaximum));

    /// <summary>
    /// Counts the publisher's publishes started and not yet completed for it (a PUBACK or a
    /// failure). The events' completions wait for the stale point's delete to complete, as over a
    /// link with a long round trip; the delete's completion waits until the events in flight reach
    /// the Receive Maximum (2 s at most), so it overlaps a window as full as the publisher makes it.
    /// </summary>
    private sealed class OutstandingPublishes
    {
        private static readonly TimeSpan WindowFills = TimeSpan.FromSeconds(2);
        private readonly TaskCompletionSource _deleted = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly int _receiveMaximum;
        private int _now;
        private int _events;
        private int _max;
        private int _maxEvents;
        private volatile bool _overlapped;

        public OutstandingPublishes(int receiveMaximum)
        {
            _receiveMaximum = receiveMaximum;
            Hook = new GatedMqttClient.Hook
            {
                Publish = (message, _, publish) => message.Topic.EndsWith("/events", StringComparison.Ordinal)
                    ? EventAsync(publish)
                    : message.Topic == StaleTopic && message.Payload.IsEmpty ? DeleteAsync(publish) : CountedAsync(publish),
            };
        }

        public GatedMqttClient.Hook Hook { get; }

        public int Max => Volatile.Read(ref _max);

        public int MaxEvents => Volatile.Read(ref _maxEvents);

        public bool DeleteOverlapped => _overlapped;

        private async Task<MqttClientPublishResult> EventAsync(Func<Task<MqttClientPublishResult>> publish)
        {
            Raise(ref _maxEvents, Interlocked.Increment(ref _events));
            try
            {
                return await CountedAsync(publish, _deleted.Task.WaitAsync(Patience)).ConfigureAwait(false);
            }
            finally
            {
                Interlocked.Decrement(ref _events);
            }
        }

        private async Task<MqttClientPublishResult> DeleteAsync(Func<Task<MqttClientPublishResult>> publish)
        {
            try
            {
                return await CountedAsync(publish, WindowFilledAsync()).ConfigureAwait(false);
            }
            finally
            {
                _deleted.TrySetResult();
            }
        }

        private async Task WindowFilledAsync()
        {
            var deadline = DateTime.UtcNow + WindowFills;
            while (Volatile.Read(ref _events) < _receiveMaximum && DateTime.UtcNow < deadline)
            {
                await Task.Delay(10).ConfigureAwait(false);
            }

            _overlapped = Volatile.Read(ref _events) > 0;
        }

        // Released before the publisher sees the publish complete: it starts another only then.
        private async Task<MqttClientPublishResult> CountedAsync(Func<Task<MqttClientPublishResult>> publish, Task? hold = null)
        {
            Raise(ref _max, Interlocked.Increment(ref _now));
            try
            {
                var result = await publish().ConfigureAwait(false);
                await (hold ?? Task.CompletedTask).ConfigureAwait(false);
                return result;
            }
            finally
            {
                Interlocked.Decrement(ref _now);
            }
        }

        private static void Raise(ref int max, int value)
        {
            var seen = Volatile.Read(ref max);
            while (value > seen && Interlocked.CompareExchange(ref max, value, seen) is var previous && previous != seen)
            {
                seen = previous;
            }
        }
    }
}
