using System.Collections.Immutable;
using System.Text.Json;
using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;
using EdgeGuard.Journal;
using EdgeGuard.Mqtt.Commands;
using EdgeGuard.Mqtt.Publishing;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// The office's <c>resend</c>: journaled events sent again in seq order, flagged with the
/// command's id, below the live stream, never moving the cursor; every bad range rejected naming
/// the problem; <c>state/delivery</c>'s unheard range trimmed only by the office's <c>heard</c>.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed partial class ResendTests(ITestOutputHelper output)
{
    private const string Root = "edgeguard/v1/site-1/gw-1";
    private const string Events = Root + "/events";
    private const string DeliveryState = Root + "/state/delivery";
    private const string ResendId = "5d0c3b8e-2f1a-4c7d-9e6b-8a1f0c2d4e6f";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_resend_delivers_exactly_the_range_in_order_flagged_while_live_events_go_first_and_the_cursor_stays()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Events, "office", persistent: false);
        var options = PublisherHarness.Plain(broker.Port) with { StateCheckInterval = TimeSpan.FromMilliseconds(100) };
        await using var harness = new PublisherHarness(options, output);
        harness.State.Current = SiteStates.Of(SiteMode.Normal);
        harness.Outbox.AppendMany(3_000);
        await harness.StartAndCatchUpAsync();
        await harness.Outbox.WaitForDeliveredAsync(3_000, Patience);
        await Eventually.TrueAsync(() => office.On(Events).Count >= 3_000, Patience, "the backlog at the office");
        var marks = harness.Outbox.Marks.Count;

        Assert.Null(harness.Publisher.StartResend(ResendId, 11, 2_010));
        await office.WaitForAsync(r => Resend(r) == ResendId, Patience, "the first resent event");
        // Live events journaled while the resend runs go out at once, not behind it.
        for (var i = 0; i < 5; i++)
        {
            harness.Outbox.Append("point.activated", "door-lobby", "lobby");
        }

        await office.WaitForAsync(r => Resend(r) == ResendId && Seq(r) == 2_010, Patience, "the last resent event");
        await harness.Outbox.WaitForDeliveredAsync(3_005, Patience);
        await Eventually.TrueAsync(() => !harness.Publisher.IsResending, Patience, "the resend ended");

        var receipts = office.On(Events).ToList();
        var resent = receipts.Where(r => Resend(r) == ResendId).ToList();
        Assert.Equal(Enumerable.Range(11, 2_000).Select(i => (long)i), resent.Select(Seq)); // exactly the range, in order, once each
        Assert.All(resent, r =>
        {
            Assert.True(r.Json.GetProperty("replayed").GetBoolean());
            Assert.Equal(harness.Outbox[Seq(r)].Id.ToString("D"), r.Json.GetProperty("id").GetString()); // the journaled event itself
            Assert.Equal(Seq(r).ToString(System.Globalization.CultureInfo.InvariantCulture), r.UserProperties["seq"]);
        });
        var live = receipts.Where(r => Resend(r) is null && Seq(r) > 3_000).ToList();
        Assert.Equal([3_001L, 3_002, 3_003, 3_004, 3_005], live.Select(Seq));
        Assert.All(live, r => Assert.False(r.Json.GetProperty("replayed").GetBoolean()));
        var firstLive = receipts.IndexOf(live[0]);
        Assert.True(firstLive < receipts.IndexOf(resent[^1]), $"live seq 3001 arrived at {firstLive}, after the whole resend");

        // The cursor followed the live events only: never backwards, never over a resent seq.
        Assert.Equal(3_005, harness.Outbox.DeliveredThrough);
        Assert.Equal(3_005, harness.Publisher.AcknowledgedThrough);
        Assert.Equal(3_005, harness.Publisher.SentThrough);
        var cursor = harness.Outbox.Marks.Skip(marks).ToList();
        Assert.Equal(cursor.Order(), cursor);
        Assert.All(cursor, m => Assert.True(m > 3_000, $"cursor written at {m} during the resend"));
        Assert.Equal(1, harness.Publisher.ResendsDone);
        Assert.Equal(0, harness.Publisher.ResendsCut);
        Assert.Equal(1, harness.Publisher.Connects);

        // Done is journaled too, so the office knows it can stop waiting.
        var ended = Assert.Single(harness.Faults.Events.OfType<ResendEnded>());
        Assert.Equal((ResendId, 11L, 2_010L, 2_010L, 2_000L, (string?)null), (ended.ResendId, ended.From, ended.To, ended.SettledThrough, ended.Resent, ended.Problem));
        Assert.Equal(Severity.Info, ended.Severity);
    }

    [Fact]
    public async Task A_live_event_is_sent_at_once_even_when_the_resends_publishes_get_no_answer()
    {
        // The resend fills at most half of the in-flight window: with the broker's answers cut off,
        // a live event still goes out at once instead of waiting for a PUBACK behind the resend.
        await using var broker = await MosquittoBroker.StartAsync();
        await using var proxy = BlackholeProxy.Start(broker.Port);
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Events, "office", persistent: false);
        var options = PublisherHarness.Plain(proxy.Port) with { StateCheckInterval = TimeSpan.FromMilliseconds(100), Timeout = TimeSpan.FromSeconds(20) };
        await using var harness = new PublisherHarness(options, output);
        harness.Outbox.AppendMany(10_000);
        await harness.StartAndCatchUpAsync();
        await harness.Outbox.WaitForDeliveredAsync(10_000, Patience);

        Assert.Null(harness.Publisher.StartResend(ResendId, 1, 10_000));
        await office.WaitForAsync(r => Resend(r) == ResendId, Patience, "the first resent event");
        proxy.Blackhole();
        await Task.Delay(TimeSpan.FromMilliseconds(300)); // the resend fills what it may of the window
        Assert.True(harness.Publisher.IsResending);

        harness.Outbox.Append("point.activated", "door-lobby", "lobby");
        await Eventually.TrueAsync(() => harness.Publisher.SentThrough == 10_001, TimeSpan.FromSeconds(3), "live seq 10001 handed to the client");
    }

    [Fact]
    public async Task A_resend_a_lost_link_cuts_short_is_reported_and_not_resumed()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Events, "office", persistent: false);
        var options = PublisherHarness.Plain(broker.Port) with { StateCheckInterval = TimeSpan.FromMilliseconds(100) };
        await using var harness = new PublisherHarness(options, output);
        harness.Outbox.AppendMany(10_000);
        await harness.StartAndCatchUpAsync();
        await harness.Outbox.WaitForDeliveredAsync(10_000, Patience);

        Assert.Null(harness.Publisher.StartResend(ResendId, 1, 10_000));
        await office.WaitForAsync(r => Resend(r) == ResendId, Patience, "the first resent event");
        harness.Publisher.AbortConnection();
        await Eventually.TrueAsync(() => harness.Publisher.ResendsCut == 1, Patience, "the resend reported cut short");
        Assert.False(harness.Publisher.IsResending);
        await Eventually.TrueAsync(() => harness.Publisher.Connects == 2 && harness.Publisher.IsCaughtUp, Patience, "caught up again");

        // Not resumed: after the reconnect no resent event comes any more, and the next live one
        // is the next seq.
        var resent = office.On(Events).Count(r => Resend(r) == ResendId);
        harness.Outbox.Append("point.activated", "door-lobby", "lobby");
        await office.WaitForAsync(r => Seq(r) == 10_001, Patience, "live seq 10001");
        await Task.Delay(options.StateCheckInterval * 5);
        Assert.Equal(resent, office.On(Events).Count(r => Resend(r) == ResendId));
        Assert.True(resent < 10_000, $"{resent} resent: the link was lost too late to cut it short");
        Assert.Equal(0, harness.Publisher.ResendsDone);

        // The office learns of the cut in the stream: resend.ended, journaled, with how far it got.
        var ended = Assert.Single(harness.Faults.Events.OfType<ResendEnded>());
        Assert.Equal((ResendId, 1L, 10_000L), (ended.ResendId, ended.From, ended.To));
        Assert.InRange(ended.SettledThrough, 0, 9_999);
        Assert.Equal(ended.SettledThrough, ended.Resent);
        Assert.StartsWith("the connection ended before it was finished", ended.Problem, StringComparison.Ordinal);
        Assert.Equal(Severity.Warning, ended.Severity);
        Assert.Equal(10_001, harness.Outbox.DeliveredThrough);
        Assert.Null(harness.Publisher.StartResend(ResendId, 1, 5)); // the slot is free again
    }

    [Fact]
    public async Task Every_bad_range_is_rejected_naming_the_problem()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        var harness = new PublisherHarness(PublisherHarness.Plain(broker.Port), output);
        await using (harness)
        {
            harness.Outbox.AppendMany(50);
            Assert.Equal("range backwards: from 20 is after to 10", harness.Publisher.StartResend(ResendId, 20, 10));
            Assert.Equal("range too long: 10001 seqs asked for, at most 10000 per resend; split it", harness.Publisher.StartResend(ResendId, 1, 10_001));
            Assert.Equal("beyond the last seq: to 51 is after 50, the last seq journaled", harness.Publisher.StartResend(ResendId, 40, 51));
            Assert.Equal(
                "not delivered yet: to 5 is after 0, the last seq the broker acknowledged; the rest come in the stream",
                harness.Publisher.StartResend(ResendId, 1, 5));
            harness.Outbox.MarkDelivered(50);
            Assert.Equal(
                "unavailable: the gateway has no link to the broker now; send it again once it is online",
                harness.Publisher.StartResend(ResendId, 1, 5));

            await harness.StartAndCatchUpAsync();
            Assert.Null(harness.Publisher.StartResend(ResendId, 1, 50));
            Assert.Equal(
                $"busy: resend {ResendId} (seqs 1 to 50) is still running; send it again once that ends",
                harness.Publisher.StartResend("6e1d4c9f-3a2b-4d8e-8f7c-9b2a1d3e5f70", 1, 5));
            await Eventually.TrueAsync(() => !harness.Publisher.IsResending, Patience, "the resend ended");
            Assert.Null(harness.Publisher.StartResend("6e1d4c9f-3a2b-4d8e-8f7c-9b2a1d3e5f70", 1, 5)); // free again
        }
    }

    [Fact]
    public async Task A_range_the_journal_no_longer_keeps_is_rejected_naming_the_oldest_seq_kept()
    {
        using var directory = new TempDirectory();
        var path = directory.File(JournalDatabase.FileName);
        await using var broker = await MosquittoBroker.StartAsync();
        var limits = new JournalLimits(64, TimeSpan.FromDays(30));
        long last;
        using (var database = JournalDatabase.Open(path))
        using (var journal = new EventJournal(database, TimeProvider.System, limits))
        {
            var first = new OutboxPublisher(PublisherHarness.Plain(broker.Port), journal, new FakeSiteState(), () => 1, new RecordingSink(), TimeProvider.System, new TestLog<OutboxPublisher>(output));
            await first.StartAsync(CancellationToken.None);
            // In rounds the office takes, so the journal never fills with undelivered records.
            for (var round = 0; round < 4; round++)
            {
                for (var i = 0; i < 50; i++)
                {
                    journal.Publish([new PointActivated(DateTimeOffset.UtcNow, "door-lobby", PointKind.DoorContact, "lobby")]);
                }

                await journal.FlushAsync();
                await Eventually.TrueAsync(() => first.AcknowledgedThrough == journal.LastSeq, Patience, $"round {round} delivered");
            }

            await first.StopAsync(CancellationToken.None);
            first.Dispose();
            last = journal.LastSeq;
        }

        // After a restart the journal holds only what retention kept (nothing in memory).
        using var reopened = JournalDatabase.Open(path);
        using var kept = new EventJournal(reopened, TimeProvider.System, limits);
        kept.EnforceRetention();
        var oldest = kept.Read(1, 1)[0].Seq;
        Assert.True(oldest > 100, $"retention kept seq {oldest}");
        var publisher = new OutboxPublisher(PublisherHarness.Plain(broker.Port), kept, new FakeSiteState(), () => 2, new RecordingSink(), TimeProvider.System, new TestLog<OutboxPublisher>(output));
        await publisher.StartAsync(CancellationToken.None);
        try
        {
            using (var caughtUp = new CancellationTokenSource(Patience))
            {
                await publisher.WaitUntilCaughtUpAsync(caughtUp.Token);
            }

            Assert.Equal($"aged out of the journal: seq 100 is no longer kept; the oldest seq kept is {oldest}", publisher.StartResend(ResendId, 100, last));
            Assert.Equal($"aged out of the journal: none of seqs 1 to 10 is kept; the oldest seq kept is {oldest}", publisher.StartResend(ResendId, 1, 10));
            Assert.Null(publisher.StartResend(ResendId, oldest, last)); // from SQLite, delivered before the restart
            await Eventually.TrueAsync(() => publisher.ResendsDone == 1, Patience, "the resend done");
            Assert.Equal(last, kept.DeliveredThrough); // the cursor where it was
        }
        finally
        {
            await publisher.StopAsync(CancellationToken.None);
            publisher.Dispose();
        }
    }

    [Fact]
    public async Task A_resend_a_watcher_hears_leaves_the_unheard_range_and_only_the_offices_heard_command_trims_it()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var state = await TestSubscriber.ConnectAsync(broker.Port, DeliveryState, "office-state", persistent: false);
        var options = PublisherHarness.Plain(broker.Port) with { StateCheckInterval = TimeSpan.FromMilliseconds(100) };
        await using var harness = new PublisherHarness(options, output);
        harness.State.Current = SiteStates.Of(SiteMode.Normal);
        harness.Outbox.AppendMany(20);
        await harness.StartAndCatchUpAsync();
        await Eventually.TrueAsync(() => harness.Publisher.Unheard is { FromSeq: 1, ThroughSeq: 20 }, Patience, "unheard 1..20");

        // A technician's watcher subscribes, the office does not: the broker answers Success for
        // every resent event, which proves only that someone listens. The range stays.
        await using var watcher = await TestSubscriber.ConnectAsync(broker.Port, Events, "watcher", persistent: false);
        Assert.Null(harness.Publisher.StartResend(ResendId, 1, 20));
        await Eventually.TrueAsync(() => harness.Publisher.ResendsDone == 1, Patience, "the resend done");
        // The broker's PUBACK to the gateway and its delivery to the watcher race: wait for both.
        await Eventually.TrueAsync(() => watcher.On(Events).Count(r => Resend(r) == ResendId) >= 20, Patience, "the watcher heard the resend");
        Assert.Equal(20, watcher.On(Events).Count(r => Resend(r) == ResendId));
        await Task.Delay(options.StateCheckInterval * 3);
        Assert.Equal(1, harness.Publisher.Unheard!.Value.FromSeq);
        Assert.Equal(20, harness.Publisher.Unheard!.Value.ThroughSeq);
        await Eventually.TrueAsync(() => LastUnheardFrom(state) is not null, Patience, "state/delivery received");
        Assert.Equal(1, LastUnheardFrom(state));

        // The office confirms it has every event through 12: the range starts after it.
        var journal = new RecordingCommandJournal();
        var executor = new ResendCommandExecutor(harness.Publisher, journal, new CountingExecutor(), TimeProvider.System);
        var trimmed = await executor.ExecuteAsync(Heard(12), CancellationToken.None);
        Assert.True(trimmed.Done, trimmed.Detail);
        Assert.Equal("the office has every event through seq 12: unheard now seqs 13 to 20", trimmed.Detail);
        Assert.IsType<CommandDone>(Assert.Single(journal.Events));
        Assert.Equal(13, harness.Publisher.Unheard!.Value.FromSeq);
        await Eventually.TrueAsync(() => LastUnheardFrom(state) == 13, Patience, "state/delivery from 13");

        // A confirmation below the range's first seq changes nothing.
        var below = await executor.ExecuteAsync(Heard(5), CancellationToken.None);
        Assert.True(below.Done, below.Detail);
        Assert.Equal("the office has every event through seq 5: unheard still seqs 13 to 20", below.Detail);
        Assert.Equal((13L, 20L), (harness.Publisher.Unheard!.Value.FromSeq, harness.Publisher.Unheard!.Value.ThroughSeq));

        var cleared = await executor.ExecuteAsync(Heard(20), CancellationToken.None);
        Assert.Equal("the office has every event through seq 20: nothing unheard", cleared.Detail);
        Assert.Null(harness.Publisher.Unheard);
        await Eventually.TrueAsync(() => LastStatus(state) == "ok", Patience, "state/delivery ok");
    }

    [Fact]
    public void Heard_takes_one_integer_seq_and_every_console_role_may_send_it()
    {
        Assert.Equal(CommandType.Heard, CommandTypes.FromWire("heard"));
        Assert.Equal(["through"], CommandTypes.Arguments(CommandType.Heard).Select(a => a.Name));
        Assert.Equal("args.through: must be from 1 to 9223372036854775807", CommandTypes.CheckArguments(CommandType.Heard, new JsonObjectItem(
            ImmutableSortedDictionary<string, JsonItem>.Empty.Add("through", new JsonIntegerItem(0)))));
        // Every office role that watches the console; a responder's key opens doors and nothing else.
        Assert.Equal([OperatorRole.Guard, OperatorRole.Supervisor, OperatorRole.Technician],
            Enum.GetValues<OperatorRole>().Where(role => RolePermissions.Allows(role, CommandType.Heard)));
    }

    [Fact]
    public async Task The_resend_command_is_carried_out_by_the_publisher_journaled_and_answered_and_others_go_on()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var harness = new PublisherHarness(PublisherHarness.Plain(broker.Port), output);
        harness.Outbox.AppendMany(10);
        await harness.StartAndCatchUpAsync();
        var journal = new RecordingCommandJournal();
        var controller = new CountingExecutor();
        var executor = new ResendCommandExecutor(harness.Publisher, journal, controller, TimeProvider.System);

        var rejected = await executor.ExecuteAsync(Resend(8, 3), CancellationToken.None);
        Assert.False(rejected.Done);
        Assert.Equal("range backwards: from 8 is after to 3", rejected.Detail);
        var refused = Assert.IsType<CommandRefused>(Assert.Single(journal.Events));
        Assert.Equal((ResendId, CommandType.Resend, "officer.jones", "range backwards: from 8 is after to 3"), (refused.CommandId, refused.CommandType, refused.Operator, refused.Reason));

        var done = await executor.ExecuteAsync(Resend(3, 8), CancellationToken.None);
        Assert.True(done.Done, done.Detail);
        Assert.StartsWith("resending seqs 3 to 8 below the live stream", done.Detail, StringComparison.Ordinal);
        Assert.IsType<CommandDone>(journal.Events[^1]);
        Assert.Equal(0, controller.Calls);

        var rebirth = Resend(1, 1) with { };
        await executor.ExecuteAsync(new VerifiedCommand(rebirth.Command with { Type = CommandType.Rebirth, Args = JsonObjectItem.Empty }, OperatorRole.Guard), CancellationToken.None);
        Assert.Equal(1, controller.Calls); // every other type goes to the controller
        Assert.Equal(2, journal.Events.Count); // and the controller journals its own outcome
    }

    [Fact]
    public void Resend_takes_two_integer_seqs_and_every_console_role_may_send_it()
    {
        Assert.Equal(CommandType.Resend, CommandTypes.FromWire("resend"));
        Assert.Equal(["from", "to"], CommandTypes.Arguments(CommandType.Resend).Select(a => a.Name));
        Assert.Null(CommandTypes.CheckArguments(CommandType.Resend, Args(2, 3)));
        Assert.Equal("args.from: must be from 1 to 9223372036854775807", CommandTypes.CheckArguments(CommandType.Resend, Args(0, 3)));
        Assert.Equal("args: 'resend' needs argument 'to'", CommandTypes.CheckArguments(CommandType.Resend, new JsonObjectItem(ImmutableSortedDictionary<string, JsonItem>.Empty.Add("from", new JsonIntegerItem(2)))));
        // Every office role that watches the console; a responder's key opens doors and nothing else.
        Assert.Equal([OperatorRole.Guard, OperatorRole.Supervisor, OperatorRole.Technician],
            Enum.GetValues<OperatorRole>().Where(role => RolePermissions.Allows(role, CommandType.Resend)));
    }

    private static VerifiedCommand Resend(long from, long to) => new(
        new CommandEnvelope(
            ResendId, CommandType.Resend, "site-1", "gw-1", "officer.jones", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddMinutes(1),
            Args(from, to), ImmutableArray.Create(new byte[CommandEnvelope.SignatureLength])),
        OperatorRole.Guard);

    private static VerifiedCommand Heard(long through) => new(
        Resend(1, 1).Command with
        {
            Type = CommandType.Heard,
            Args = new JsonObjectItem(ImmutableSortedDictionary<string, JsonItem>.Empty.Add("through", new JsonIntegerItem(through))),
        },
        OperatorRole.Guard);

    private static JsonObjectItem Args(long from, long to) => new(
        ImmutableSortedDictionary<string, JsonItem>.Empty.Add("from", new JsonIntegerItem(from)).Add("to", new JsonIntegerItem(to)));

    private static long Seq(Receipt receipt) => receipt.Json.GetProperty("seq").GetInt64();

    private static string? Resend(Receipt receipt) =>
        receipt.Json.TryGetProperty("resend", out var id) ? id.GetString() : null;

    private static string? LastStatus(TestSubscriber state) =>
        state.On(DeliveryState) is { Count: > 0 } receipts ? receipts[^1].Json.GetProperty("status").GetString() : null;

    private static long? LastUnheardFrom(TestSubscriber state) =>
        state.On(DeliveryState) is { Count: > 0 } receipts && receipts[^1].Json.GetProperty("unheard") is { ValueKind: JsonValueKind.Object } u
            ? u.GetProperty("fromSeq").GetInt64()
            : null;

    private sealed class CountingExecutor : ICommandExecutor
    {
        public int Calls { get; private set; }

        public Task<CommandExecution> ExecuteAsync(VerifiedCommand command, CancellationToken cancellationToken)
        {
            Calls++;
            return Task.FromResult(new CommandExecution(true, null));
        }
    }
}
