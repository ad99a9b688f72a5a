using EdgeGuard.Core.Lockdown;
using static EdgeGuard.Journal.Tests.JournalHarness;

namespace EdgeGuard.Journal.Tests;

/// <summary>
/// The safety-state save shares the journal's one connection with the writer. The controller saves
/// before it drives the outputs, so a commit that hangs on a slow or dying SD card must not hold a
/// lockdown's locks and siren: the save gives up after a bounded wait. These tests hold the writer
/// inside a commit instead of timing a disk; every wait is bounded by <see cref="Patience"/>, none
/// is a speed assertion.
/// </summary>
public sealed class SafetySaveWaitTests : HeldWriterFixture
{
    private static readonly SafetyState Lockdown = new(
        SiteMode.Lockdown,
        new LockdownInfo("panic-button", "lobby-panic-1", T0),
        SirenSounding: true);

    [Fact]
    public async Task A_save_gives_up_as_busy_while_the_writer_is_held_inside_a_commit_and_is_saved_once_the_writer_goes_on()
    {
        var store = new SqliteSafetyStateStore(H.Database, H.Time);
        await HoldTheWriterInsideACommit();

        var save = Task.Run(() => store.Save(Lockdown));
        // Before the bound existed the save waited for the commit, for as long as the disk took:
        // here until the test released the writer, twice Patience later.
        var busy = await Assert.ThrowsAsync<JournalException>(() => save.WaitAsync(Patience));
        Assert.Contains("busy", busy.Message, StringComparison.Ordinal);
        Assert.True(WriterInCommit); // it returned while the writer was still held

        ReleaseTheWriter();
        await H.Flush();
        Assert.Equal(SafetyState.Initial, store.Load()); // the failed save wrote nothing
        store.Save(Lockdown);
        Assert.Equal(Lockdown, store.Load());
        Assert.Equal(2, H.Journal.DurableSeq); // and the held batch was committed
    }

    // On an SD card one ordinary commit takes 20–200 ms: a fixed 50 ms wait gave up behind it in
    // normal operation and reported a lockdown not persisted. Transactions that hold the database
    // for 300 ms here stand for such a disk (Sleep never returns early); none is a speed assertion.
    [Fact]
    public async Task On_a_disk_whose_commits_take_long_the_save_waits_out_the_one_under_way()
    {
        var store = new SqliteSafetyStateStore(H.Database, H.Time);
        Assert.Equal(SqliteSafetyStateStore.SaveWait, store.EffectiveWait); // a fast disk: the least

        for (var i = 0; i < 3; i++)
        {
            H.Database.InTransaction(_ => Thread.Sleep(300));
        }

        Assert.InRange(store.EffectiveWait, TimeSpan.FromMilliseconds(900), SqliteSafetyStateStore.MaxSaveWait);
        using var holding = new ManualResetEventSlim();
        var slowCommit = Task.Factory.StartNew(
            () => H.Database.InTransaction(_ =>
            {
                holding.Set();
                Thread.Sleep(200);
            }),
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
        Assert.True(holding.Wait(Patience), "the slow commit never started");

        store.Save(Lockdown); // waits for the slow commit instead of giving up as busy

        Assert.Equal(Lockdown, store.Load());
        await slowCommit.WaitAsync(Patience);
    }

    [Fact]
    public async Task A_save_waiting_for_the_database_goes_before_a_writer_that_commits_back_to_back()
    {
        // Given all the time it needs, so that only the order is under test.
        var store = new SqliteSafetyStateStore(H.Database, H.Time) { Wait = Patience };
        // A writer that commits again the moment its commit has let go of the database, as the
        // journal writer does through a burst or a retention backlog. Lock is not fair: a thread
        // that is running takes it again before a woken waiter does, for as long as the save's
        // bound. The second commit must find the lockdown saved, not go first.
        using var holding = new ManualResetEventSlim();
        long? rowsSeen = null;
        var writer = new Thread(() =>
        {
            H.Database.InTransaction(_ =>
            {
                holding.Set();
                WaitForRelease();
            });
            rowsSeen = H.Database.InTransaction(transaction =>
            {
                using var count = JournalDatabase.Command(transaction, "SELECT count(*) FROM safety_state;");
                return (long)count.ExecuteScalar()!;
            });
        });
        writer.Start();
        Assert.True(holding.Wait(Patience), "the writer never started");

        var save = Task.Run(() => store.Save(Lockdown));
        // Released a millisecond or so after the save started to wait: Lock stops a running thread
        // from taking it ahead of a waiter only once the waiter has waited a while (released tens
        // of milliseconds later, this test passed without the fix).
        var deadline = DateTime.UtcNow + Patience;
        while (H.Database.UrgentWaiting == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the save never waited for the database");
            Thread.SpinWait(100);
        }

        Thread.Sleep(1);
        ReleaseTheWriter();

        await save.WaitAsync(Patience);
        Assert.True(writer.Join(Patience), "the writer never finished");
        Assert.Equal(1, rowsSeen);
    }
}
