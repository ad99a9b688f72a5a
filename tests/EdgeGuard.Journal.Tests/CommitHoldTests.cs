using static EdgeGuard.Journal.Tests.JournalHarness;

namespace EdgeGuard.Journal.Tests;

/// <summary>
/// The commit hold (EventJournal.CommitHold.cs): while the broker's round trip is within
/// CommitHold, the writer holds the commit of events callers handed out for CommitHold, whatever
/// the PUBACK, and commits at once when anything needs it: a flush, events queued behind, a stop,
/// a round trip grown past the hold. The commit carries the acknowledged prefix as the durable
/// delivery cursor.
/// </summary>
public sealed class CommitHoldTests : IDisposable
{
    // Long enough that a commit seen within a test was never caused by the hold running out.
    private static readonly TimeSpan Forever = TimeSpan.FromMinutes(10);

    private readonly JournalHarness _h = new();

    public void Dispose() => _h.Dispose();

    [Fact]
    public async Task The_acknowledgement_does_not_end_the_hold_and_the_hold_runs_out_by_itself()
    {
        // A broker on the gateway sends the PUBACK as it delivers the event to the office: a commit
        // started then would compete with that delivery (docs/journal.md).
        // 5 s: a loaded host (other collections fsync meanwhile) may take a second from the hand-out
        // to the check below, and the hold running out there is not the PUBACK ending it.
        await HandOut2UnderAHoldOf(TimeSpan.FromSeconds(5));

        _h.Journal.Acknowledged(2);
        await Task.Delay(200); // the writer had time to commit, had the PUBACK woken it
        Assert.Equal(1, _h.Journal.DurableSeq);
        Assert.Equal(2, _h.Journal.LastSeq);
        Assert.True(_h.Journal.HoldsCommits);

        await DurableThrough(2, within: TimeSpan.FromSeconds(15));
        Assert.Equal(["p1", "p2"], _h.All().Select(record => record.Point));
        AssertIntact(_h.Path);
    }

    [Fact]
    public async Task A_held_commit_waits_no_longer_than_the_hold()
    {
        await HandOut2UnderAHoldOf(TimeSpan.FromMilliseconds(50));

        // Woken by the hold's timer, not by the idle writer's own 30 s look at retention: a bound
        // far above the hold and far below that wake-up tells the two apart on any machine.
        await DurableThrough(2, within: TimeSpan.FromSeconds(10));
        AssertIntact(_h.Path);
    }

    [Fact]
    public async Task A_batch_handed_out_while_the_timer_of_a_committed_one_is_pending_is_still_committed_within_its_hold()
    {
        // The timer armed for event 2 is left pending when a flush commits it; event 3 comes
        // meanwhile and arms nothing. When that timer fires it must re-arm for event 3's hold. No
        // linger: the writer's own bounded wait would commit event 3 whatever the timer does.
        _h.Journal.HandOutLinger = TimeSpan.Zero;
        // 5 s: the flush's fsync and the wait below must end before the timer fires, on a loaded host too.
        await HandOut2UnderAHoldOf(TimeSpan.FromSeconds(5));
        await _h.Flush();
        await Eventually(() => _h.Journal.WriterWaitsUnbounded, () => "the writer back in its idle wait");
        Assert.True(_h.Journal.HoldTimerPending);
        var armed = _h.Journal.HoldTimerArms;
        _h.Publish(Activated(3));
        Assert.Equal(3, _h.Journal.LastSeq);
        Assert.Equal(armed, _h.Journal.HoldTimerArms); // the pending timer is due before 3's hold ends
        await Task.Delay(100);
        Assert.Equal(2, _h.Journal.DurableSeq); // handed out and held, not committed at once

        // By the pending timer (due 5 s after event 2), re-armed for event 3's hold: far below the idle
        // writer's own 30 s look at retention, so still told apart from it.
        await DurableThrough(3, within: TimeSpan.FromSeconds(15));
        AssertIntact(_h.Path);
    }

    [Fact]
    public async Task A_batch_handed_out_while_the_writer_commits_arms_nothing_and_is_still_committed_within_its_hold()
    {
        // No linger: only the writer's loop brings it back to the batch, and the timer armed for
        // event 2 must not re-arm for event 3 when it fires (the writer is not in its idle wait).
        _h.Journal.HandOutLinger = TimeSpan.Zero;
        await HandOut2UnderAHoldOf(TimeSpan.FromMilliseconds(200));
        using var entered = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        _h.Journal.BeforeCommit = _ =>
        {
            entered.Set();
            release.Wait(Patience);
        };
        var flushed = _h.Flush(); // commits event 2 now, before its timer fires
        Assert.True(entered.Wait(Patience), "the writer never started committing 2");

        var armed = _h.Journal.HoldTimerArms;
        _h.Publish(Activated(3));
        Assert.Equal(3, _h.Journal.LastSeq);
        Assert.Equal(armed, _h.Journal.HoldTimerArms); // busy, the writer comes back for 3 by itself
        await Task.Delay(300); // event 2's timer fires meanwhile, with event 3 held
        release.Set();
        await flushed;

        await DurableThrough(3, within: TimeSpan.FromSeconds(10));
        Assert.Equal(armed, _h.Journal.HoldTimerArms);
        AssertIntact(_h.Path);
    }

    [Fact]
    public async Task A_batch_handed_out_after_the_hold_timer_fired_with_nothing_held_arms_it_again()
    {
        _h.Journal.HandOutLinger = TimeSpan.Zero; // the writer waits unbounded: the hand-out must arm it
        await HandOut2UnderAHoldOf(TimeSpan.FromMilliseconds(50));
        await _h.Flush();
        await Task.Delay(200); // the timer armed for event 2 fires and finds nothing held

        _h.Publish(Activated(3));
        Assert.Equal(3, _h.Journal.LastSeq);

        await DurableThrough(3, within: TimeSpan.FromSeconds(10));
        AssertIntact(_h.Path);
    }

    [Fact]
    public async Task While_hand_outs_are_recent_the_idle_writer_waits_at_most_a_hold_so_a_new_batch_needs_no_timer()
    {
        // A long hold, so the writer's bounded waits are half a second each and the batch below
        // plainly waits for one of them; a linger that never runs out.
        _h.Journal.HandOutLinger = Forever;
        await HandOut2UnderAHoldOf(TimeSpan.FromMilliseconds(500));
        await _h.Flush();
        await Eventually(() => !_h.Journal.HoldTimerPending, () => "the timers armed so far firing");
        Assert.False(_h.Journal.WriterWaitsUnbounded);

        // Handed out with the writer lingering: nothing is armed, and yet it is committed, by the
        // end of the writer's own wait and then of the batch's hold.
        var armed = _h.Journal.HoldTimerArms;
        _h.Publish(Activated(3));
        Assert.Equal(3, _h.Journal.LastSeq);
        Assert.Equal(armed, _h.Journal.HoldTimerArms);
        Assert.False(_h.Journal.HoldTimerPending);

        await DurableThrough(3, within: TimeSpan.FromSeconds(10));
        Assert.Equal(armed, _h.Journal.HoldTimerArms);
        AssertIntact(_h.Path);
    }

    [Fact]
    public async Task Once_the_last_hand_out_is_older_than_the_linger_the_writer_waits_unbounded_and_a_new_batch_arms_the_timer()
    {
        _h.Journal.HandOutLinger = TimeSpan.FromMilliseconds(100);
        await HandOut2UnderAHoldOf(TimeSpan.FromMilliseconds(50));
        await _h.Flush();

        await Eventually(() => _h.Journal.WriterWaitsUnbounded, () => "the writer's unbounded idle wait");
        await Eventually(() => !_h.Journal.HoldTimerPending, () => "the timers armed so far firing");
        var armed = _h.Journal.HoldTimerArms;
        _h.Publish(Activated(3));
        Assert.Equal(armed + 1, _h.Journal.HoldTimerArms); // nothing else would wake the writer

        await DurableThrough(3, within: TimeSpan.FromSeconds(10));
        AssertIntact(_h.Path);
    }

    [Fact]
    public async Task A_flush_ends_the_hold()
    {
        await HandOut2UnderAHoldOf(Forever);

        await _h.Flush();

        Assert.Equal(2, _h.Journal.DurableSeq);
    }

    [Fact]
    public async Task Events_queued_behind_a_held_commit_end_the_hold()
    {
        await HandOut2UnderAHoldOf(Forever);

        // More than one batch past the last commit: these go through the writer's queue, and
        // neither they nor event 2 may wait out the hold (ten minutes here).
        _h.Publish([.. Enumerable.Range(3, EventJournal.MaxBatch).Select(i => Activated(i))]);

        await DurableThrough(EventJournal.MaxBatch + 2);
        Assert.Equal(EventJournal.MaxBatch + 2, _h.All().Count);
        AssertIntact(_h.Path);
    }

    [Fact]
    public async Task A_stop_commits_a_held_event_instead_of_waiting_out_its_hold()
    {
        await HandOut2UnderAHoldOf(Forever);

        // Dispose gives the writer 10 s to drain; a writer still holding would lose event 2.
        _h.Reopen();

        Assert.Equal(["p1", "p2"], _h.All().Select(record => record.Point));
        Assert.Empty(_h.JournalEvents); // a clean stop: no journal.gap
        Assert.Empty(_h.Errors);
    }

    [Fact]
    public async Task An_acknowledgement_within_the_hold_goes_into_the_commit_as_the_durable_cursor()
    {
        await HandOut2UnderAHoldOf(TimeSpan.FromSeconds(1));

        _h.Journal.Acknowledged(2);
        await DurableThrough(2, within: TimeSpan.FromSeconds(10));

        // No MarkDelivered: the cursor went into the commit of event 2.
        Assert.Equal(2, _h.Journal.DeliveredThrough);
        _h.Reopen();
        Assert.Equal(2, _h.Journal.DeliveredThrough);
        Assert.Empty(_h.Journal.ReadAfter(_h.Journal.DeliveredThrough, 10));
    }

    [Fact]
    public async Task An_acknowledgement_beyond_what_was_journaled_never_moves_the_cursor_past_it()
    {
        await HandOut2UnderAHoldOf(TimeSpan.Zero);

        _h.Journal.Acknowledged(99);
        _h.Publish(Activated(3));
        await _h.Flush();

        Assert.Equal(2, _h.Journal.DeliveredThrough);
        Assert.Equal(["p3"], _h.Journal.ReadAfter(_h.Journal.DeliveredThrough, 10).Select(record => record.Point));
    }

    [Fact]
    public async Task After_a_round_trip_longer_than_the_hold_handed_out_events_are_committed_at_once()
    {
        await HandOut2UnderAHoldOf(Forever);

        // A PUBACK 11 minutes later: the broker is far away, and holding would only delay the
        // commit. It wakes the writer to end the hold in progress (which would last ten minutes):
        // within a bound far below the idle writer's own 30 s look, which would also reach it.
        _h.Time.Advance(TimeSpan.FromMinutes(11));
        _h.Journal.Acknowledged(2);
        await DurableThrough(2, within: TimeSpan.FromSeconds(10));
        Assert.False(_h.Journal.HoldsCommits);

        // Committed with no PUBACK, flush or stop (with the hold it would wait the full ten minutes).
        // Handed out on this thread, which times its round trip: only once the writer is idle again
        // (a busy writer, as on a loaded machine, would take it from its queue, untimed).
        await Eventually(() => _h.Journal.WriterWaitsUnbounded, () => "the writer in its idle wait after event 2");
        _h.Publish(Activated(3));
        await DurableThrough(3);

        // A quick round trip brings the hold back (the estimate moves by an eighth per sample).
        _h.Journal.Acknowledged(3);
        Assert.True(_h.Journal.HoldsCommits);
        AssertIntact(_h.Path);
    }

    // Event 1 is committed (the first batch after a start is announced only after its commit);
    // event 2 is then handed out on this thread, with the writer idle, and its commit held for `hold`.
    private async Task HandOut2UnderAHoldOf(TimeSpan hold)
    {
        await _h.PublishAndFlush(Activated(1));
        // Event 2 then finds the writer in its unbounded idle wait, so its hand-out arms the timer.
        await Eventually(() => _h.Journal.WriterWaitsUnbounded, () => "the writer in its idle wait after event 1");
        _h.Journal.CommitHold = hold;
        _h.Publish(Activated(2));
        Assert.Equal(2, _h.Journal.LastSeq);
    }

    private static async Task Eventually(Func<bool> condition, Func<string> what, TimeSpan? within = null)
    {
        var patience = within ?? TimeSpan.FromSeconds(10);
        var deadline = DateTime.UtcNow + patience;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"{what()} not within {patience.TotalSeconds} s");
            await Task.Delay(10);
        }
    }

    private Task DurableThrough(long seq, TimeSpan? within = null) => Eventually(
        () => _h.Journal.DurableSeq >= seq, () => $"seq {seq} committed (durable through {_h.Journal.DurableSeq})", within ?? Patience);
}
