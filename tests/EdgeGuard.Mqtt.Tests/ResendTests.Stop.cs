using System.Globalization;
using System.Text.Json;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Mqtt.Tests.Infrastructure;

namespace EdgeGuard.Mqtt.Tests;

// A resend at an orderly stop. The stop's drain does not continue it (only the outbox goes out),
// and it used to end only when the session was abandoned, after offline: its resend.ended was
// journaled at lastSeq + 1, past an offline that said nothing was left behind. Now the drain ends
// it first, so resend.ended goes out before offline and offline's lastSeq covers it.
public sealed partial class ResendTests
{
    private const string Availability = Root + "/availability";

    [Fact]
    public async Task A_resend_in_progress_at_an_orderly_stop_ends_with_resend_ended_delivered_before_offline()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Root + "/#", "office", persistent: false);
        var options = PublisherHarness.Plain(broker.Port) with { StateCheckInterval = TimeSpan.FromMilliseconds(100) };
        var outbox = new FakeOutbox();
        await using var harness = new PublisherHarness(options, output, outbox, faults: new JournalingSink(outbox));
        outbox.AppendMany(10_000);
        await harness.StartAndCatchUpAsync();
        await outbox.WaitForDeliveredAsync(10_000, Patience);

        Assert.Null(harness.Publisher.StartResend(ResendId, 1, 10_000));
        await office.WaitForAsync(r => r.Topic == Events && Resend(r) == ResendId, Patience, "the first resent event");
        await harness.StopAsync();

        var offline = await office.WaitForAsync(r => r.Topic == Availability && r.Text == "offline", Patience, "offline");
        var ended = AssertResendEndedBeforeOffline(office, offline, outbox);
        Assert.StartsWith("the gateway stopped before it was finished", ended.GetProperty("problem").GetString(), StringComparison.Ordinal);
        Assert.InRange(ended.GetProperty("settledThrough").GetInt64(), 0, 9_999); // cut short
        Assert.Equal((0L, 1L), (harness.Publisher.ResendsDone, harness.Publisher.ResendsCut));
    }

    [Fact]
    public async Task A_resend_accepted_but_not_yet_taken_at_an_orderly_stop_ends_with_resend_ended_delivered_before_offline()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Root + "/#", "office", persistent: false);
        // An idle session takes a resend at its next state check: 30 s away, so the stop is first.
        var options = PublisherHarness.Plain(broker.Port) with { StateCheckInterval = TimeSpan.FromSeconds(30) };
        var outbox = new FakeOutbox();
        await using var harness = new PublisherHarness(options, output, outbox, faults: new JournalingSink(outbox));
        outbox.AppendMany(20);
        await harness.StartAndCatchUpAsync();
        await outbox.WaitForDeliveredAsync(20, Patience);
        await WaitUntilQuietAsync(harness.Publisher);

        Assert.Null(harness.Publisher.StartResend(ResendId, 1, 20));
        await harness.StopAsync();

        var offline = await office.WaitForAsync(r => r.Topic == Availability && r.Text == "offline", Patience, "offline");
        var ended = AssertResendEndedBeforeOffline(office, offline, outbox);
        Assert.StartsWith("the gateway stopped before it was started", ended.GetProperty("problem").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, ended.GetProperty("settledThrough").GetInt64());
        Assert.Equal(0, office.On(Events).Count(r => Resend(r) == ResendId)); // not started by the drain
    }

    // resend.ended is the last journaled seq, at the office before offline, and offline's lastSeq
    // and deliveredThrough both cover it: nothing left behind. Returns its data.
    private static JsonElement AssertResendEndedBeforeOffline(TestSubscriber office, Receipt offline, FakeOutbox outbox)
    {
        var receipts = office.Receipts.ToList();
        var ended = Assert.Single(receipts, r => r.Topic == Events && r.Json.GetProperty("type").GetString() == "resend.ended");
        Assert.True(receipts.IndexOf(ended) < receipts.IndexOf(offline), "resend.ended arrived after offline");
        var last = outbox.LastSeq.ToString(CultureInfo.InvariantCulture);
        Assert.Equal(last, Seq(ended).ToString(CultureInfo.InvariantCulture));
        Assert.Equal(last, offline.UserProperties["lastSeq"]);
        Assert.Equal(last, offline.UserProperties["deliveredThrough"]);
        var data = ended.Json.GetProperty("data");
        Assert.Equal(ResendId, data.GetProperty("resendId").GetString());
        return data;
    }

    // The host's fault sink journals what the publisher reports (LoggedFaultSink): here into the
    // outbox the publisher reads, so resend.ended reaches the office in the stream as it would.
    private sealed class JournalingSink(FakeOutbox outbox) : IEventSink
    {
        private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

        public void Publish(IReadOnlyList<DomainEvent> events)
        {
            foreach (var e in events)
            {
                var data = e is ResendEnded ended
                    ? JsonSerializer.Serialize(new { ended.ResendId, ended.SettledThrough, ended.Problem }, Web)
                    : "{}";
                outbox.Append(e.Type, data: data, severity: e.Severity);
            }
        }
    }
}
