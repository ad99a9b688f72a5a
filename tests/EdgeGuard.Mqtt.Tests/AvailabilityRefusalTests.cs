using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Mqtt.Publishing;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// A broker whose ACL grants the events but not availability takes the events and drops the
/// gateway's will without a word: the office could never learn that the gateway went dark. The
/// refused birth is a <c>fault.broker</c>, held open until a retried birth is accepted.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class AvailabilityRefusalTests(ITestOutputHelper output)
{
    private const string Root = "edgeguard/v1/site-1/gw-1";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_refused_birth_is_a_broker_fault_events_still_flow_and_the_birth_is_retried()
    {
        await using var broker = await MosquittoBroker.StartAsync(new MosquittoSettings { Passwords = Passwords(), Acl = Acl(availability: false) });
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Root + "/#", "office", credentials: ("office", "office-password"));
        await using var harness = new PublisherHarness(PublisherHarness.Plain(broker.Port) with { Username = "gw-1", Password = "s3cret" }, output);
        harness.Outbox.Append("point.activated", "door-lobby", "lobby");
        harness.Outbox.Append("point.restored", "door-lobby", "lobby");

        await harness.StartAndCatchUpAsync();
        await Eventually.TrueAsync(() => office.DistinctSeqCount == 2, Patience, "both events at the office");
        await Eventually.TrueAsync(() => harness.Publisher.BrokerRefusals >= 3, Patience, "the birth retried twice");

        // Caught up, and the episode is still open: the will would still be dropped.
        var fault = Assert.IsType<BrokerFault>(Assert.Single(harness.Faults.Events));
        Assert.Equal("the broker refused availability 'online': NotAuthorized (135)", fault.Reason);
        Assert.Empty(office.On(Root + "/availability"));
        Assert.Equal(1, harness.Publisher.Connects);

        await broker.ReloadAclAsync(Acl(availability: true)); // the office mends its ACL
        await office.WaitForAsync(r => r.Topic == Root + "/availability" && r.Text == "online", Patience, "the birth");
        await Eventually.TrueAsync(() => harness.Faults.Events.Count == 2, Patience, "fault.broker-restored");

        Assert.True(Assert.IsType<BrokerFaultRestored>(harness.Faults.Events[1]).Refusals >= 3);
        Assert.Equal(1, harness.Publisher.Connects);
    }

    [Fact]
    public async Task A_fault_sink_that_throws_does_not_stop_the_publisher()
    {
        // The gateway's TLS files are missing: every attempt reports fault.broker from a catch
        // block, and this sink throws every time (a journal that fails). That exception escaped
        // ExecuteAsync, and a failed BackgroundService stops the host, the locks with it.
        using var dir = new TempDirectory();
        var tls = new MqttTlsOptions { CaCertificateFile = dir.File("ca.pem"), ClientCertificateFile = dir.File("gw.crt"), ClientKeyFile = dir.File("gw.key") };
        var sink = new ThrowingSink();
        await using var harness = new PublisherHarness(PublisherHarness.Plain(MosquittoBroker.FreePort()) with { Tls = tls }, output, faults: sink);

        await harness.StartAsync();
        await Eventually.TrueAsync(() => harness.Publisher.ConnectAttempts >= 3, Patience, "three attempts");

        Assert.False(harness.Publisher.ExecuteTask!.IsCompleted);
        Assert.Equal(1, sink.Calls); // one fault, once per reason, as with a sink that works
    }

    private static string Acl(bool availability) => $"""
        user gw-1
        topic readwrite {Root}/events
        topic readwrite {Root}/state/#
        {(availability ? $"topic readwrite {Root}/availability" : string.Empty)}

        user office
        topic read edgeguard/v1/#
        """;

    private static Dictionary<string, string> Passwords() => new() { ["gw-1"] = "s3cret", ["office"] = "office-password" };

    // A sink that fails every time, as a journal whose disk fails.
    private sealed class ThrowingSink : IEventSink
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public void Publish(IReadOnlyList<DomainEvent> events)
        {
            Interlocked.Increment(ref _calls);
            throw new InvalidOperationException("the journal is gone");
        }
    }
}
