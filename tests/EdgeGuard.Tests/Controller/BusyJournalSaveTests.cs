using System.Diagnostics;
using EdgeGuard.Controller;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;
using EdgeGuard.Journal;

namespace EdgeGuard.Tests.Controller;

/// <summary>
/// The controller over the real SQLite safety-state store while another write holds the journal
/// database inside its commit, as the journal writer's batch, retention or a WAL checkpoint does on
/// a slow or dying SD card. The lockdown must not wait for it.
/// </summary>
public sealed class BusyJournalSaveTests : IAsyncDisposable
{
    /// <summary>Bound on every wait, so a bug fails the test instead of hanging it; never a speed assertion.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static readonly SiteDefinition Site = new(
        "site-t", "gw-t",
        [new("a", "A")],
        [new("panic", PointKind.PanicButton, 2, ActiveHigh: false, LinePull.Up, TimeSpan.FromMilliseconds(500), "a")],
        [
            new("lock", OutputKind.Lock, 10, ActiveHigh: true, "a", LockFailMode.FailSafe, Egress: true),
            new("siren", OutputKind.Siren, 11, ActiveHigh: true, "a"),
        ],
        new LockdownPolicy([], TimeSpan.FromSeconds(30), []));

    private readonly TempDirectory _temp = new();
    private readonly JournalDatabase _database;
    private readonly ControllerHarness _h;

    public BusyJournalSaveTests()
    {
        _database = JournalDatabase.Open(_temp.File(JournalDatabase.FileName));
        _h = new ControllerHarness(Site, _ => new SqliteSafetyStateStore(_database));
    }

    [Fact]
    public async Task A_lockdown_drives_the_locks_and_siren_while_another_write_holds_the_journal_and_is_saved_once_it_is_free()
    {
        await _h.BootAsync();
        using var release = new ManualResetEventSlim();
        var other = HoldJournal(release);

        try
        {
            _h.Set("panic", true);
            // Before the save's wait was bounded the loop waited here, in the save, until the other
            // write ended: twice Patience later, so the settle barrier gave up.
            await _h.SettleAsync();

            Assert.True(_h.Driver.GetOutputLevel(10), "the locks waited for the disk");
            Assert.True(_h.Driver.GetOutputLevel(11), "the siren waited for the disk");
            var fault = Assert.Single(_h.Events.Events.OfType<SafetyStateNotPersisted>());
            Assert.Contains("busy", fault.Reason, StringComparison.Ordinal);
            Assert.False(other.IsCompleted, "the other write was still inside its commit");
        }
        finally
        {
            release.Set();
        }

        await other.WaitAsync(Patience);

        // The disk answers again: the retry timer saves the lockdown, so a power cut now restores it.
        _h.Time.Advance(SiteController.SafetySaveRetryInterval + TimeSpan.FromMilliseconds(1));
        await _h.SettleAsync();
        Assert.Equal(SiteMode.Lockdown, Assert.Single(_h.Events.Events.OfType<SafetyStateNotPersistedRestored>()).Mode);
        Assert.Equal(SiteMode.Lockdown, new SqliteSafetyStateStore(_database).Load().Mode);
    }

    [Fact]
    public async Task A_lockdown_whose_save_failed_is_saved_at_an_orderly_stop_before_its_retry_came()
    {
        await _h.BootAsync();
        using var release = new ManualResetEventSlim();
        var other = HoldJournal(release);
        try
        {
            _h.Set("panic", true);
            await _h.SettleAsync();
            Assert.Single(_h.Events.Events.OfType<SafetyStateNotPersisted>());
        }
        finally
        {
            release.Set();
        }

        await other.WaitAsync(Patience);

        // SIGTERM (an update) before the retry timer: the clock does not move.
        await _h.Controller.StopAsync(CancellationToken.None);

        Assert.Equal(SiteMode.Lockdown, new SqliteSafetyStateStore(_database).Load().Mode);
        Assert.Equal(SiteMode.Lockdown, Assert.Single(_h.Events.Events.OfType<SafetyStateNotPersistedRestored>()).Mode);
    }

    [Fact]
    public async Task A_save_that_waits_behind_the_journal_past_the_deadline_but_within_its_bound_raises_no_fault()
    {
        // A slow card: the store's wait, sized by the disk, is long enough to outlast the deadline.
        await using var h = new ControllerHarness(Site, _ => new SqliteSafetyStateStore(_database) { Wait = Patience });
        await h.BootAsync();
        using var release = new ManualResetEventSlim();
        var other = HoldJournal(release);
        try
        {
            h.Set("panic", true);
            var waiting = Stopwatch.StartNew();
            while (_database.UrgentWaiting == 0)
            {
                Assert.True(waiting.Elapsed < Patience, "the lockdown's save never waited for the database");
                await Task.Delay(5);
            }

            // 600 ms on the controller's clock: past the deadline, the outputs are driven.
            h.Time.Advance(TimeSpan.FromMilliseconds(600));
            await h.SettleAsync();
            Assert.True(h.Driver.GetOutputLevel(10), "the locks waited for the disk");
            Assert.True(h.Driver.GetOutputLevel(11), "the siren waited for the disk");
        }
        finally
        {
            release.Set();
        }

        // The journal's commit ends: the save, which only waited, commits after it.
        await other.WaitAsync(Patience);
        var ending = Stopwatch.StartNew();
        while (!h.Controller.SafetySaverIdle)
        {
            Assert.True(ending.Elapsed < Patience, "the save never ended");
            await Task.Delay(5);
        }

        await h.SettleAsync();
        h.Time.Advance(SiteController.SafetySaveLateBound + SiteController.SafetySaveRetryInterval);
        await h.SettleAsync();
        Assert.Equal(SiteMode.Lockdown, new SqliteSafetyStateStore(_database).Load().Mode);
        Assert.Empty(h.Events.Events.OfType<SafetyStateNotPersisted>());
        Assert.Empty(h.Events.Events.OfType<SafetyStateNotPersistedRestored>());
    }

    // Another write inside its commit until release is set, as the journal writer's batch, retention
    // or a WAL checkpoint on a slow card; returns once it holds the database.
    private Task HoldJournal(ManualResetEventSlim release)
    {
        using var holding = new ManualResetEventSlim();
        var other = Task.Factory.StartNew(
            () => _database.InTransaction(_ =>
            {
                holding.Set();
                release.Wait(2 * Patience);
            }),
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
        Assert.True(holding.Wait(Patience), "the other write never started");
        return other;
    }

    public async ValueTask DisposeAsync()
    {
        await _h.DisposeAsync();
        _database.Dispose();
        _temp.Dispose();
    }
}
