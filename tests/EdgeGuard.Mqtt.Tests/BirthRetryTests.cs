using EdgeGuard.Mqtt.Tests.Infrastructure;
using MQTTnet;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// A refused birth is retried beside the events until the broker takes it. One retry whose PUBACK
/// did not come within the timeout ended the retries for the whole connection: on a link that
/// stayed up (pings answered, nothing else timing out), the office kept the will's
/// <c>offline</c> while the gateway was connected and protecting the site.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class BirthRetryTests(ITestOutputHelper output)
{
    private const string Availability = "edgeguard/v1/site-1/gw-1/availability";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_birth_retry_whose_puback_is_late_is_tried_again_on_the_same_connection()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Availability, "office", persistent: false);
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
                    // The first retry's PUBACK never comes; the link stays up.
                    2 => new TaskCompletionSource<MqttClientPublishResult>().Task,
                    _ => publish(),
                };
            },
        };
        var options = PublisherHarness.Plain(broker.Port) with { Timeout = TimeSpan.FromSeconds(1) };
        await using var harness = new PublisherHarness(options, output, gate: gate);

        await harness.StartAndCatchUpAsync();

        await office.WaitForAsync(r => r.Text == "online", Patience, "the birth, retried after the late PUBACK");
        Assert.Equal(3, Volatile.Read(ref births));
        Assert.Equal(1, harness.Publisher.Connects);
    }
}
