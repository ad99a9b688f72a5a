using System.Diagnostics;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;
using EdgeGuard.Journal;
using EdgeGuard.Mqtt.Publishing;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// The publisher over the real journal while an SD card hangs in fsync during the writer's commit
/// (the writer holds the database's lock meanwhile). The publisher's cursor write used to wait
/// for that lock with no limit, on the publisher's own loop: the office saw <c>online</c>,
/// <c>ok</c> and <c>normal</c> through a real lockdown, a lost link was never reconnected, a stop
/// sent no <c>offline</c>, and a boot never connected. The hang is the writer held inside its
/// commit (<see cref="EventJournal.BeforeCommit"/>) until the test releases it.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class HungCommitTests(ITestOutputHelper output)
{
    private const string Root = "edgeguard/v1/site-1/gw-1";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_lockdown_and_the_journal_stall_reach_the_office_during_a_hung_commit()
    {
        await using var rig = await Rig.StartAsync(output);
        await rig.HangTheCommitOfAnAcknowledgedEventAsync();

        // A guard's lockdown during the hang (its events queue behind the hung writer), and the
        // watchdog's stall: the idle state check must show both, out of band.
        var changed = Stopwatch.StartNew();
        rig.State.Current = SiteStates.Of(SiteMode.Lockdown, ("door-1", false), ("door-2", true));
        rig.Stalls.Stall = new JournalStall(DateTimeOffset.UtcNow.AddSeconds(-61), 3);
        await rig.Office.WaitForAsync(
            r => r.Topic == Root + "/state/lockdown" && r.Json.GetProperty("mode").GetString() == "lockdown",
            Prompt, "lockdown on the retained state during the hang");
        await rig.Office.WaitForAsync(
            r => r.Topic == Root + "/state/delivery" && r.Json.GetProperty("status").GetString() == "journal-stalled",
            Prompt, "journal-stalled on state/delivery");
        output.WriteLine($"shown after {changed.Elapsed.TotalSeconds:0.0} s");
    }

    [Fact]
    public async Task A_stop_during_a_hung_commit_sends_offline_within_the_stop_budget()
    {
        await using var rig = await Rig.StartAsync(output);
        await rig.HangTheCommitOfAnAcknowledgedEventAsync();

        await rig.StopWithinBudgetAsync();
        // The cursor of the acknowledged event 2 could not be written: it lags (the writer still
        // holds the database), and the next start sends event 2 again, replayed.
        Assert.Equal(1, rig.Journal.DeliveredThrough);
    }

    [Fact]
    public async Task A_link_lost_during_a_hung_commit_is_reconnected_and_what_the_broker_acknowledged_is_not_sent_again()
    {
        await using var rig = await Rig.StartAsync(output);
        await rig.HangTheCommitOfAnAcknowledgedEventAsync();

        rig.Publisher.AbortConnection();
        await Eventually.TrueAsync(() => rig.Publisher.Connects == 2 && rig.Publisher.IsCaughtUp, Prompt, "reconnected and caught up");
        // Event 2's cursor is not durable (its commit hangs), but the broker acknowledged it: the
        // new connection goes on after it. Sending it again on every reconnect of a long stall
        // would repeat everything acknowledged since the stall began. Event 3, handed out during
        // the hang, shows the stream going on; it is the only one after the reconnect.
        rig.Journal.Publish([Opened(3)]);
        await rig.Office.WaitForAsync(r => r.Topic == Root + "/events" && r.Json.GetProperty("seq").GetInt64() == 3, Prompt, "event 3");
        Assert.Equal([1L, 2L, 3L], rig.Office.On(Root + "/events").Select(r => r.Json.GetProperty("seq").GetInt64()));
    }

    [Fact]
    public async Task A_boot_while_a_commit_hangs_connects_at_once_with_a_session_counter_saved_later()
    {
        await using var rig = await Rig.StartAsync(output, startPublisher: false);
        await rig.HangTheWriterAsync();

        var publisher = rig.CreatePublisher(rig.Journal.NextSession);
        // Off the test's thread: a host whose StartAsync runs ExecuteAsync inline would wait here.
        await Task.Run(() => publisher.StartAsync(CancellationToken.None)).WaitAsync(Patience);
        // The counter is handed out unsaved: the office hears the birth and the site's state during
        // the hang (before, the publisher retried the counter and stayed dark until the card
        // answered: no online, no state/lockdown, no will).
        var online = await rig.Office.WaitForAsync(r => r.Topic == Root + "/availability" && r.Text == "online", Prompt, "online during the hang");
        Assert.Equal("1", online.UserProperties["session"]);
        await rig.Office.WaitForAsync(r => r.Topic == Root + "/state/lockdown", Prompt, "state/lockdown during the hang");

        rig.Release();
        await Eventually.TrueAsync(() => publisher.IsCaughtUp, Patience, "caught up once the commit ended");
        Assert.Equal(1, publisher.SessionNumber);
    }

    [Fact]
    public async Task A_lockdown_and_the_journal_stall_reach_the_office_while_the_card_hangs_in_the_cursors_own_commit()
    {
        await using var rig = await Rig.StartAsync(output, startPublisher: false);
        await rig.HangTheCursorAfterTheReplayAsync();

        rig.State.Current = SiteStates.Of(SiteMode.Lockdown, ("door-1", false), ("door-2", true));
        rig.Stalls.Stall = new JournalStall(DateTimeOffset.UtcNow.AddSeconds(-61), 3);
        await rig.Office.WaitForAsync(
            r => r.Topic == Root + "/state/lockdown" && r.Json.GetProperty("mode").GetString() == "lockdown",
            Prompt, "lockdown on the retained state while the cursor's commit hangs");
        await rig.Office.WaitForAsync(
            r => r.Topic == Root + "/state/delivery" && r.Json.GetProperty("status").GetString() == "journal-stalled",
            Prompt, "journal-stalled on state/delivery");
    }

    [Fact]
    public async Task A_stop_while_the_card_hangs_in_the_cursors_own_commit_sends_offline_within_the_stop_budget()
    {
        await using var rig = await Rig.StartAsync(output, startPublisher: false);
        await rig.HangTheCursorAfterTheReplayAsync();

        await rig.StopWithinBudgetAsync();
        Assert.Equal(0, rig.Journal.DeliveredThrough); // lags: the next start sends both again, replayed
    }

    [Fact]
    public async Task An_orderly_stop_makes_the_acknowledged_prefix_durable_when_the_disk_is_healthy()
    {
        await using var rig = await Rig.StartAsync(output, startPublisher: false);
        rig.Journal.Publish([Opened(2), Opened(3)]);
        await rig.Journal.FlushAsync();
        // Nothing but the stop's request may make the cursor durable here: no events to carry it,
        // and an interval that does not pass during the test.
        rig.Journal.CursorWriteInterval = TimeSpan.FromHours(1);
        var publisher = rig.CreatePublisher(() => 1);
        await publisher.StartAsync(CancellationToken.None);
        await Eventually.TrueAsync(() => publisher.AcknowledgedThrough == 3, Patience, "the replay's PUBACKs");
        Assert.Equal(0, rig.Journal.DeliveredThrough);

        using (var limit = new CancellationTokenSource(Patience))
        {
            await publisher.StopAsync(limit.Token);
        }

        Assert.Equal(3, rig.Journal.DeliveredThrough); // moves only once committed
        Assert.Equal(1, rig.Journal.CursorCommits);
        await rig.Office.WaitForAsync(r => r.Topic == Root + "/availability" && r.Text == "offline", Prompt, "offline");
    }

    private static PointActivated Opened(int i) =>
        new(new DateTimeOffset(2026, 12, 1, 21, 0, i, TimeSpan.Zero), $"door-{i}", PointKind.DoorContact, "lobby");

    // A broker, the office, the journal on a temporary database and a publisher with the default
    // cursor interval; disposing releases the hung writer first, then stops everything.
    private sealed class Rig : IAsyncDisposable
    {
        private readonly ITestOutputHelper _output;
        private readonly ManualResetEventSlim _release = new(false);
        private readonly TaskCompletionSource _held = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly List<OutboxPublisher> _publishers = [];
        private TempDirectory _directory = null!;
        private MosquittoBroker _broker = null!;
        private JournalDatabase _database = null!;

        private Rig(ITestOutputHelper output) => _output = output;

        public TestSubscriber Office { get; private set; } = null!;

        public EventJournal Journal { get; private set; } = null!;

        public FakeSiteState State { get; } = new() { Current = SiteStates.Of(SiteMode.Normal, ("door-1", false), ("door-2", false)) };

        public HungCommitStalls Stalls { get; } = new();

        public MqttPublisherOptions Options { get; private set; } = null!;

        public OutboxPublisher Publisher => _publishers[0];

        public static async Task<Rig> StartAsync(ITestOutputHelper output, bool startPublisher = true)
        {
            var rig = new Rig(output);
            rig._directory = new TempDirectory();
            rig._broker = await MosquittoBroker.StartAsync();
            rig.Office = await TestSubscriber.ConnectAsync(rig._broker.Port, Root + "/#", "office");
            rig._database = JournalDatabase.Open(rig._directory.File(JournalDatabase.FileName));
            rig.Journal = new EventJournal(rig._database, TimeProvider.System);
            rig.Journal.Publish([Opened(1)]);
            await rig.Journal.FlushAsync();
            // The default cursor interval (250 ms): the reviewer's failing case.
            rig.Options = PublisherHarness.Plain(rig._broker.Port) with { StateCheckInterval = TimeSpan.FromMilliseconds(200) };
            if (startPublisher)
            {
                var publisher = rig.CreatePublisher(() => 1);
                await publisher.StartAsync(CancellationToken.None);
                using var caughtUp = new CancellationTokenSource(Patience);
                await publisher.WaitUntilCaughtUpAsync(caughtUp.Token);
                // The journal commits event 1's cursor alone (no event came to carry it) before a
                // test hangs the card: what a hang leaves durable is then exactly seq 1.
                await Eventually.TrueAsync(() => rig.Journal.DeliveredThrough == 1, Patience, "cursor 1 durable");
            }

            return rig;
        }

        public OutboxPublisher CreatePublisher(Func<long> nextSession)
        {
            var publisher = new OutboxPublisher(Options, Journal, State, nextSession, new RecordingSink(), TimeProvider.System, new TestLog<OutboxPublisher>(_output), Stalls);
            _publishers.Add(publisher);
            return publisher;
        }

        /// <summary>Stops the publisher; asserts it kept the stop budget and the office saw offline.</summary>
        public async Task StopWithinBudgetAsync()
        {
            var stopping = Stopwatch.StartNew();
            using (var limit = new CancellationTokenSource(Patience))
            {
                await Publisher.StopAsync(limit.Token);
            }

            var budget = Options.Timeout < OutboxPublisher.OrderlyStopLimit ? Options.Timeout : OutboxPublisher.OrderlyStopLimit;
            Assert.True(stopping.Elapsed < budget, $"the stop took {stopping.Elapsed}, its budget is {budget}");
            await Office.WaitForAsync(r => r.Topic == Root + "/availability" && r.Text == "offline", Prompt, "offline");
        }

        /// <summary>Holds the writer inside the commit of the next event (seq 2) until released.</summary>
        public async Task HangTheWriterAsync()
        {
            Journal.BeforeCommit = _ =>
            {
                _held.TrySetResult();
                _release.Wait(2 * Patience);
            };
            Journal.Publish([Opened(2)]);
            await _held.Task.WaitAsync(Patience);
        }

        /// <summary>
        /// The card hangs in the commit of event 2, which the journal handed out before it: the
        /// publisher sends it and gets its PUBACK, and the cursor write comes due during the hang.
        /// </summary>
        public async Task HangTheCommitOfAnAcknowledgedEventAsync()
        {
            await HangTheWriterAsync();
            await Eventually.TrueAsync(() => Publisher.AcknowledgedThrough == 2, Prompt, "PUBACK of seq 2");
            await Task.Delay(EventJournal.DefaultCursorWriteInterval * 4);
        }

        /// <summary>
        /// Events 1 and 2 are committed before the publisher starts; it replays them, and with no
        /// event after them to carry the acknowledged prefix the journal's writer commits the
        /// cursor alone (where the publisher used to write it itself, at the replay's end). The
        /// card hangs in that commit until released.
        /// </summary>
        public async Task HangTheCursorAfterTheReplayAsync()
        {
            Journal.Publish([Opened(2)]);
            await Journal.FlushAsync();
            Journal.BeforeCursorCommit = _ =>
            {
                _held.TrySetResult();
                _release.Wait(2 * Patience);
            };
            var publisher = CreatePublisher(() => 1);
            await publisher.StartAsync(CancellationToken.None);
            await Eventually.TrueAsync(() => publisher.AcknowledgedThrough == 2, Prompt, "PUBACKs of the replay");
            await _held.Task.WaitAsync(Patience);
        }

        public void Release() => _release.Set();

        public async ValueTask DisposeAsync()
        {
            _release.Set();
            foreach (var publisher in _publishers)
            {
                using var limit = new CancellationTokenSource(Patience);
                await publisher.StopAsync(limit.Token);
                publisher.Dispose();
            }

            Journal.Dispose();
            _database.Dispose();
            await Office.DisposeAsync();
            await _broker.DisposeAsync();
            _directory.Dispose();
            _release.Dispose();
        }
    }

    private sealed class HungCommitStalls : IJournalStallSource
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
