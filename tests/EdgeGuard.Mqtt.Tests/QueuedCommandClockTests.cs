using EdgeGuard.Core.Commands;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// A command the broker queued for the gateway's persistent command session while the gateway was
/// away, delivered expired after it reconnects, says nothing about the gateway's clock: no
/// fault.clock. Real Mosquitto, real time; a 1 s skew keeps the waits short.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class QueuedCommandClockTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Skew = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task A_command_that_expired_in_the_brokers_queue_is_refused_without_a_clock_fault_and_one_issued_after_the_connect_raises_it()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var office = await OfficeClient.ConnectAsync(broker.Port, CommandHarness.Root);
        using var supervisor = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        await using (var before = new CommandHarness(output, broker.Port, supervisor: supervisor, clockSkew: Skew))
        {
            // Makes the persistent session; disposing stops the gateway (a power cut, say).
            await before.StartAsync();
        }

        await using var gateway = new CommandHarness(output, broker.Port, supervisor: supervisor, clockSkew: Skew);
        // Sent while the gateway is away: the broker queues it (the test office sets no Message
        // Expiry Interval), and it is past expires_at + skew by the time the gateway is back.
        await office.SendAsync(gateway.Sign(CommandType.Lockdown, issuedAt: DateTimeOffset.UtcNow, ttl: Lifetime), "queued");
        // As the office sends it (deploy/office/README.md): Mosquitto drops it from the queue once
        // its Message Expiry Interval has passed, so it is never delivered at all.
        await office.SendAsync(gateway.Sign(CommandType.Lockdown, issuedAt: DateTimeOffset.UtcNow, ttl: Lifetime), "expiring", messageExpiry: Lifetime);
        await Task.Delay(Lifetime + Skew + TimeSpan.FromMilliseconds(500));
        await gateway.StartAsync();
        var up = DateTimeOffset.UtcNow;

        var queued = Assert.Single(await office.WaitForAsync("queued"));
        Assert.Equal("rejected", queued.Result);
        Assert.StartsWith("expired:", queued.Reason, StringComparison.Ordinal);
        Assert.Contains("expired while queued", queued.Reason, StringComparison.Ordinal);
        var rejected = Assert.IsType<CommandRejected>(Assert.Single(gateway.Journal.Events));
        Assert.Equal(CommandRejection.Expired, rejected.Rejection);
        Assert.False(gateway.Handler.ClockFaultOpen);
        Assert.Equal(1, gateway.Subscriber!.Received);

        // Issued after the connection came up, and expired on arrival all the same: a clock the
        // office's and the gateway's disagree on. fault.clock, as before.
        var issued = up.AddMilliseconds(100);
        await Task.Delay(issued + Lifetime + Skew - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(300));
        var stale = Assert.Single(await office.SendAndWaitAsync(gateway.Sign(CommandType.Lockdown, issuedAt: issued, ttl: Lifetime), "stale"));

        Assert.StartsWith("expired:", stale.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("queued", stale.Reason, StringComparison.Ordinal);
        var fault = Assert.IsType<ClockFault>(Assert.Single(gateway.Journal.Events, e => e.Type == "fault.clock"));
        Assert.Equal((stale.CommandId, CommandRejection.Expired), (fault.CommandId, fault.Rejection));
        Assert.Empty(gateway.Executor.Executed);
        Assert.Equal(2, gateway.Subscriber.Received);
        Assert.DoesNotContain(office.Results, r => r.Correlation == "expiring");
    }
}
