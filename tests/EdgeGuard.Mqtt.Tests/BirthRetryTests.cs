using EdgeGuard.Core.Lockdown;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using MQTTnet;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// A refused birth is retried beside the events until the broker takes it. A retry whose PUBACK
/// came later than the timeout ended the retries for the whole connection: on a link that stayed
/// up (pings answered, nothing else timing out) the refusal's episode never closed and, had the
/// broker not kept the birth, the office kept the will's <c>offline</c> while the gateway was
/// connected. The late PUBACK is waited for instead: publishing the birth again beside it would
/// put one more PUBLISH against the broker's Receive Maximum at every backoff.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class BirthRetryTests(ITestOutputHelper output)
{
    private const string Availability = "edgeguard/v1/site-1/gw-1/availability";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_birth_retry_whose_puback_is_late_is_waited_for_not_published_again()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        var options = PublisherHarness.Plain(broker.Port);
        var late = options.Timeout + TimeSpan.FromSeconds(1);
        var births = 0;
        var gate = new GatedMqttClient.Hook
        {
            Publish = (message, _, publish) =>
            {
                if (message.Topic != Availability || message.ConvertPayloadToString() != "online")
                {
                    return publish();
                }

                return Interlocked.Increment(ref births) switch
                {
                    // The broker refuses the birth (a quota, a plugin): retried beside the events.
                    1 => Task.FromResult(new MqttClientPublishResult(null, MqttClientPublishReasonCode.QuotaExceeded, null, [])),
                    // The first retry's PUBACK reaches the publisher a second after its timeout.
                    2 => LateAsync(publish, late),
                    _ => publish(),
                };
            },
        };
        await using var harness = new PublisherHarness(options, output, gate: gate);

        await harness.StartAndCatchUpAsync();

        await Eventually.TrueAsync(() => harness.Faults.Events.OfType<BrokerFaultRestored>().Any(), Patience, "the refusal's episode closed by the late PUBACK");
        Assert.Equal(2, Volatile.Read(ref births));
        Assert.Equal(1, harness.Publisher.Connects);
    }

    private static async Task<MqttClientPublishResult> LateAsync(Func<Task<MqttClientPublishResult>> publish, TimeSpan late)
    {
        var result = await publish().ConfigureAwait(false);
        await Task.Delay(late).ConfigureAwait(false);
        return result;
    }
}
