using System.Text.Json;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// A journal writer stuck on its disk keeps the gateway online (the watchdog pings while the
/// controller answers), but its events wait in memory, unrecorded and unsent: the retained
/// <c>state/delivery</c> says so, out of band (not through the stuck journal), and clears when the
/// writer moves again.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class JournalStallStateTests(ITestOutputHelper output)
{
    private const string DeliveryState = "edgeguard/v1/site-1/gw-1/state/delivery";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_stuck_journal_writer_shows_on_state_delivery_and_clears_when_it_moves_again()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, DeliveryState, "office-state", persistent: false);
        var options = PublisherHarness.Plain(broker.Port) with { StateCheckInterval = TimeSpan.FromMilliseconds(200) };
        var journal = new FakeJournalStalls();
        await using var harness = new PublisherHarness(options, output, journalStalls: journal);
        harness.State.Current = SiteStates.Of(SiteMode.Normal);
        await harness.StartAndCatchUpAsync();
        await office.WaitForAsync(r => Status(r.Json) == "ok", Patience, "state/delivery ok");

        var since = DateTimeOffset.UtcNow.AddSeconds(-75);
        journal.Stall = new JournalStall(since, 12);
        var stalled = await office.WaitForAsync(r => Status(r.Json) == "journal-stalled", TimeSpan.FromSeconds(5), "state/delivery journal-stalled");
        var shown = stalled.Json.GetProperty("journalStalled");
        Assert.Equal(12, shown.GetProperty("waiting").GetInt64());
        Assert.Equal(since, shown.GetProperty("since").GetDateTimeOffset(), TimeSpan.FromMilliseconds(1));
        var reason = shown.GetProperty("reason").GetString()!;
        Assert.Contains("12 events", reason, StringComparison.Ordinal);
        Assert.Matches(@"no progress for 7\d s", reason); // measured to the message's ts
        Assert.Equal(JsonValueKind.Null, stalled.Json.GetProperty("seq").ValueKind); // nothing refused

        // One message per change: the stall lasting is not news at every check.
        var count = office.On(DeliveryState).Count;
        await Task.Delay(options.StateCheckInterval * 4);
        Assert.Equal(count, office.On(DeliveryState).Count);

        journal.Stall = null;
        var recovered = await office.WaitForAsync(r => Status(r.Json) == "ok", TimeSpan.FromSeconds(5), "state/delivery ok again");
        Assert.Equal(JsonValueKind.Null, recovered.Json.GetProperty("journalStalled").ValueKind);
    }

    private static string? Status(JsonElement json) => json.GetProperty("status").GetString();

    private sealed class FakeJournalStalls : IJournalStallSource
    {
        private readonly Lock _lock = new();
        private JournalStall? _stall;

        public JournalStall? Stall
        {
            get { lock (_lock) { return _stall; } }
            set { lock (_lock) { _stall = value; } }
        }
    }
}
